"""The accounts app's pages: sign-in and the clinic picker (`session`), password reset
(`password_reset`), the clinic's members (`members`), the invitation an invitee opens
(`invitations`) and closing the clinic (`offboarding`). The two-factor pages are in
clinic.accounts.two_factor."""
