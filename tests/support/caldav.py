"""A real CalDAV server for tests: Radicale on a loopback port, in a process of its
own, with a temporary storage folder and plain-text htpasswd users. Stopped (and its
folder removed) when the test session ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from icalendar import Calendar

USERS = {"ada": "ada-app-password", "grace": "grace-app-password"}


class Radicale:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def make_calendar(self, user: str, name: str) -> str:
        """A new calendar collection of `user`; its URL."""
        url = f"{self.base_url}/{user}/{name}/"
        response = requests.request("MKCALENDAR", url, auth=(user, USERS[user]), timeout=10)
        assert response.status_code == 201, response.text
        return url

    def get(self, url: str, user: str) -> requests.Response:
        return requests.get(url, auth=(user, USERS[user]), timeout=10)

    def event(self, calendar_url: str, uid: str, user: str):
        """The VEVENT stored under `<calendar>/<uid>.ics`, parsed; None if there is none."""
        response = self.get(calendar_url + uid + ".ics", user)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.status_code
        return Calendar.from_ical(response.content)

    def hrefs(self, calendar_url: str, user: str) -> list[str]:
        """The names of the event resources in a calendar (PROPFIND, depth 1)."""
        response = requests.request(
            "PROPFIND", calendar_url, auth=(user, USERS[user]), headers={"Depth": "1"}, timeout=10
        )
        assert response.status_code == 207, response.status_code
        text = response.text
        return sorted(
            part.split("</")[0].rsplit("/", 1)[-1]
            for part in text.split("href>")[1:]
            if part.split("</")[0].endswith(".ics")
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(directory: Path, port: int) -> Path:
    (directory / "users").write_text("".join(f"{user}:{password}\n" for user, password in USERS.items()))
    config = directory / "config"
    config.write_text(
        f"""[server]
hosts = 127.0.0.1:{port}

[auth]
type = htpasswd
htpasswd_filename = {directory / "users"}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {directory / "collections"}

[logging]
level = warning
"""
    )
    return config


@contextmanager
def running():
    directory = Path(tempfile.mkdtemp(prefix="radicale-"))
    port = _free_port()
    config = _config(directory, port)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "radicale", "-C", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, process)
        yield Radicale(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"radicale exited: {process.stdout.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("radicale did not start within 20 s")
