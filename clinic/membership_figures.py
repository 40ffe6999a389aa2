"""What the tenant middleware reads with the session's memberships on every signed-in
request (the setting TENANCY_MEMBERSHIP_FIGURES, tenancy.middleware): the figures the
layout and the middleware after it need of the active clinic, as annotations on the
membership's row, so that they cost no statement of their own.

- the navigation's inbox badges: texts (clinic.messaging.selectors.membership_figures)
  and voicemails (clinic.voice.selectors.membership_figures);
- whether the clinic requires two-factor sign-in of its managers
  (clinic.accounts.services.two_factor_figures), asked before every manager's page.

Each is computed in the request's tenant context: RLS lets it see the active clinic's
rows only, so for the user's other memberships it finds nothing."""

from __future__ import annotations

from clinic.accounts.services import two_factor_figures
from clinic.messaging.selectors import membership_figures as inbox_figures
from clinic.voice.selectors import membership_figures as voicemail_figures


def membership_figures() -> dict:
    return {**inbox_figures(), **voicemail_figures(), **two_factor_figures()}
