"""The product's settings, as the browser tests serve them: unchanged except that
collected static files go to a temporary directory instead of the checkout."""

import os

from clinic.settings import *  # noqa: F403

STATIC_ROOT = os.environ["E2E_STATIC_ROOT"]
