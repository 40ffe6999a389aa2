"""The accounts app's pages: sign-in and the clinic picker (`session`), password reset
(`password_reset`), the clinic's members (`members`), the invitation an invitee opens
(`invitations`), closing the clinic (`offboarding`), a user's two-factor sign-in
(`two_factor`) and the clinic's requirement of it (`security`). The second step of
signing in is clinic.accounts.two_factor.login, with the session state it keeps."""
