"""Settings for the benchmarks: the product's, with the owner and audit roles, which
set up the benchmark databases and time queries without RLS for comparison."""

from clinic.settings import *  # noqa: F403
from clinic.settings import database_settings

DATABASE_SERVER, DATABASE_ROLES, DATABASES = database_settings(privileged=True)
