"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """django.request logs a 403 (PermissionDenied) or 400 with the exception's full
    traceback. Those are answers to the client, not faults of the app: one line is
    enough. Server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class DatabaseDownAsOneLine(logging.Filter):
    """While the database is unreachable every request fails the same way and answers
    503 (clinic.unavailable): Django's "Internal Server Error" record, with a traceback,
    for the exception behind each would bury the log. It is dropped; the 503 itself is
    still logged, one line per request ("Service Unavailable: /path")."""

    def filter(self, record: logging.LogRecord) -> bool:
        from clinic.unavailable import database_down

        exc_info = record.exc_info
        return not (exc_info and database_down(exc_info[1]))
