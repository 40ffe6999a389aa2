"""The product's settings, as the browser tests serve them: unchanged except that
collected static files go to a temporary directory instead of the checkout, and mail
(invitations) to files there, where the tests read the links."""

import os

from clinic.settings import *  # noqa: F403

STATIC_ROOT = os.environ["E2E_STATIC_ROOT"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["E2E_MAIL_DIR"]
