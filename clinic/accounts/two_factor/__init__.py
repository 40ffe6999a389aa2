"""Two-factor sign-in: a code from an authenticator app (django-otp's TOTP device) after
the password, with single-use recovery codes (its static device) for a lost phone.

- devices.py: enrolment, recovery codes, checking a code (with django-otp's throttling).
- login.py: the second step of signing in; until it passes, nobody is signed in.
- middleware.py: a clinic's requirement for its owners and admins.
- admin_site.py: /admin/ needs the second factor. The pages are in clinic.accounts.views
  (two_factor.py, security.py), with login.py's second step.
"""
