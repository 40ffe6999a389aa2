"""What the error page (DEBUG) and error mails may show of settings and the request."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretsHiddenFilter(SafeExceptionReporterFilter):
    """Django hides settings and request variables named like API, TOKEN, KEY, SECRET
    or PASS. Database settings and URLs hold credentials under other names
    (DATABASE_URL=postgresql://user:password@…, DATABASE_SERVER, CACHES, and the
    process environment that the development server copies into request.META):
    hide those too."""

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|CACHE|_URL$|^URL$|DSN", flags=re.IGNORECASE
    )
