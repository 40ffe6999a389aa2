"""A session's last activity set back in time, and the settings read in a fresh
interpreter, as the server reads them at start-up."""

from __future__ import annotations

import time

from clinic.accounts.middleware import LAST_ACTIVITY_KEY


def idle_for(client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - seconds
    session.save()


IDLE_SETTING = "from clinic import settings; print(settings.SESSION_IDLE_TIMEOUT_MINUTES)"


def read_setting(env: dict[str, str], code: str = IDLE_SETTING):
    """Import the real settings in a fresh interpreter, as the server would, and run `code`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
