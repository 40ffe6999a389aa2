"""The lifecycle's pages: public sign-up (`signup`), a closed clinic's export for its
owners (`export`) and the superusers' platform console (`console`)."""
