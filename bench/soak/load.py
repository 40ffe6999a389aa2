"""Virtual users against a running app, every response checked for other clinics' ids.

Three kinds of user, each in a thread with a session of its own:
- staff of one clinic, signed in through the real sign-in form, reading the day
  schedule, the patient list, a search, an appointment; and another clinic's patient
  (must be 404);
- staff of two clinics, switching between them with the switcher (POST) now and then;
- API clients, each with its clinic's key: lists, bookings (POST, with an
  Idempotency-Key, retried with the same key after a 503), another clinic's
  appointment (must be 404).

Every UUID in a response body, HTML or JSON, is looked up in the map of every row's
clinic built before the run (bookings made during it are added as they are
acknowledged): a row of a clinic other than the user's active one is a leak."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTIVE_CLINIC = re.compile(r'data-testid="active-clinic">([^<]*)<')
# Bookings go to distinct half hours from here on: no two requests compete for a slot,
# so any duplicate in the database afterwards is a booking made twice.
FIRST_SLOT = dt.datetime(2031, 1, 6, 0, 0, tzinfo=dt.UTC)
# Those half hours run round the clock, so every booking confirms the booking guards'
# warnings (clinic.appointments.guards.CODES) as an integrator booking a night shift would.
ALL_WARNINGS = ["in_past", "outside_working_hours", "provider_day_off", "night_time"]


@dataclass
class Tally:
    """What the virtual users saw. Appended to from many threads (list.append and
    Counter updates under the lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    events: list = field(default_factory=list)  # (monotonic time, kind, status, seconds)
    leaks: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    acknowledged: dict = field(default_factory=dict)  # booking id -> (clinic, starts_at)
    slots: dict = field(default_factory=dict)  # starts_at -> clinic, every booking attempted
    ready: int = 0  # users signed in (or, for API clients, started)
    ids_checked: int = 0  # ids of some clinic's rows found in responses and checked
    stop: threading.Event = field(default_factory=threading.Event)  # ends the run early

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.events.append((time.monotonic(), kind, status, seconds))

    def statuses(self) -> Counter:
        return Counter(status for _, _, status, _ in self.events)


class World:
    """The data the users act on, and the map of which clinic owns each id."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.password = data["password"]
        self.tenant_owner: dict[str, str] = dict(data["tenant_owner"])
        self.personal_owner: dict[str, str] = data["personal_owner"]
        self.by_kind: dict[str, dict[str, list[str]]] = data["by_kind"]
        self.clinic_names = {clinic["id"]: clinic["name"] for clinic in data["clinics"]}
        self._slots = itertools.count()

    def next_slot(self) -> str:
        return (FIRST_SLOT + dt.timedelta(minutes=30 * next(self._slots))).isoformat()

    def foreign(self, clinic: str, kind: str, rng: random.Random) -> str:
        other = rng.choice([org for org in self.by_kind if org != clinic])
        return rng.choice(self.by_kind[other][kind])


class VirtualUser(threading.Thread):
    def __init__(self, base: str, world: World, tally: Tally, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.world, self.tally, self.deadline = base, world, tally, deadline
        self.rng = random.Random(seed)  # noqa: S311 (load, not secrets)
        self.http = requests.Session()
        self.active = ""  # the clinic whose data this user may see right now
        self.mine: set[str] = set()  # clinics this user belongs to
        self.csrf = ""
        self.signed_out = False

    def run(self) -> None:
        try:
            self.start_up()
            with self.tally.lock:
                self.tally.ready += 1
            while self.running():
                self.step()
        except requests.RequestException as exc:
            with self.tally.lock:
                self.tally.unexpected.append((time.monotonic(), f"{type(self).__name__}: {type(exc).__name__}: {exc}"))
        finally:
            self.http.close()

    def running(self) -> bool:
        return time.monotonic() < self.deadline and not self.tally.stop.is_set()

    def start_up(self) -> None:
        pass

    def step(self) -> None:
        raise NotImplementedError

    def call(self, kind: str, method: str, path: str, expect=(200,), **kwargs) -> requests.Response:
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
        self.tally.record(kind, response.status_code, time.perf_counter() - started)
        self.check(kind, path, response)
        if response.status_code == 503:
            time.sleep(min(0.5, float(response.headers.get("Retry-After", "1"))))
        elif response.status_code not in expect:
            where = response.headers.get("Location", "")
            with self.tally.lock:
                self.tally.unexpected.append(
                    (time.monotonic(), f"{type(self).__name__} {kind} {method} {path}: {response.status_code} {where}")
                )
            # Signed out (counted above): signs in again, as a person would, rather than
            # counting every later page as one more unexpected answer.
            self.signed_out = response.status_code == 302 and where.startswith("/accounts/login/")
        return response

    def check(self, kind: str, path: str, response: requests.Response) -> None:
        text = response.text
        found_ids = set(UUID.findall(text))
        known = sum(1 for found in found_ids if found in self.world.tenant_owner or found in self.world.personal_owner)
        with self.tally.lock:
            self.tally.ids_checked += known
        for found in found_ids:
            owner = self.world.tenant_owner.get(found)
            if owner is not None and owner != self.active:
                self._leak(kind, path, found, owner)
            owner = self.world.personal_owner.get(found)
            if owner is not None and owner not in self.mine:
                self._leak(kind, path, found, owner)
        match = ACTIVE_CLINIC.search(text)
        if match and self.active and match.group(1).strip() != self.world.clinic_names[self.active]:
            self._leak(kind, path, "header", match.group(1).strip())
        token = CSRF.search(text)
        if token:
            self.csrf = token.group(1)

    def _leak(self, kind: str, path: str, found: str, owner: str) -> None:
        with self.tally.lock:
            self.tally.leaks.append(f"{kind} {path}: {found} of clinic {owner}, active {self.active}")

    def sign_in(self, username: str) -> None:
        """Through the sign-in form; again after a 503 (until the run's end)."""
        while self.running():
            if self.call("sign-in", "GET", "/accounts/login/").status_code != 200:
                continue
            data = {"username": username, "password": self.world.password, "csrfmiddlewaretoken": self.csrf}
            if self.call("sign-in", "POST", "/accounts/login/", expect=(302,), data=data).status_code == 302:
                return

    def read_pages(self) -> None:
        """One staff page of the active clinic, or another clinic's patient (404)."""
        clinic, rng = self.active, self.rng
        ids = self.world.by_kind[clinic]
        choice = rng.randrange(10)
        if choice < 3:
            self.call("page: day", "GET", "/")
        elif choice < 5:
            self.call("page: patients", "GET", "/patients/")
        elif choice < 6:
            self.call("page: search", "GET", "/patients/", params={"q": rng.choice(["ada", "mül", "ro", "s"])})
        elif choice < 8:
            self.call("page: appointment", "GET", f"/appointments/{rng.choice(ids['appointments'])}/")
        elif choice < 9:
            self.call("page: patient", "GET", f"/patients/{rng.choice(ids['patients'])}/")
        else:
            self.call("page: foreign", "GET", f"/patients/{self.world.foreign(clinic, 'patients', rng)}/", (404,))


class StaffUser(VirtualUser):
    def __init__(self, *args, clinic: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = self.rng.choice(clinic["staff"])
        self.active, self.mine = clinic["id"], {clinic["id"]}

    def start_up(self) -> None:
        self.sign_in(self.username)

    def step(self) -> None:
        if self.signed_out:
            self.signed_out = False
            self.sign_in(self.username)
        else:
            self.read_pages()


class SwitchingUser(VirtualUser):
    def __init__(self, *args, switcher: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = switcher["username"]
        self.memberships: dict[str, str] = switcher["memberships"]
        self.mine = set(self.memberships)

    def start_up(self) -> None:
        self.sign_in(self.username)  # two clinics: the picker comes next
        self.call("page: picker", "GET", "/clinics/")
        self.switch(self.rng.choice(sorted(self.memberships)))

    def switch(self, clinic: str) -> None:
        data = {"membership": self.memberships[clinic], "csrfmiddlewaretoken": self.csrf}
        response = self.call("switch", "POST", "/clinics/switch/", expect=(302,), data=data)
        if response.status_code == 302:
            self.active = clinic

    def step(self) -> None:
        if self.signed_out:  # as at the start: sign in, the picker (a fresh CSRF token), a switch
            self.signed_out, self.active = False, ""
            self.start_up()
        elif not self.active:  # the first switch was refused (the database was down): again
            self.switch(self.rng.choice(sorted(self.memberships)))
        elif self.rng.random() < 0.2:
            self.switch(next(org for org in self.memberships if org != self.active))
        else:
            self.read_pages()


class ApiClient(VirtualUser):
    def __init__(self, *args, clinic: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.active, self.mine = clinic["id"], {clinic["id"]}
        self.http.headers["Authorization"] = f"Bearer {clinic['key']}"

    def step(self) -> None:
        choice, ids = self.rng.randrange(10), self.world.by_kind[self.active]
        if choice < 3:
            self.call("api: appointments", "GET", "/api/v1/appointments/", params={"limit": 50})
        elif choice < 5:
            self.call("api: patients", "GET", "/api/v1/patients/", params={"limit": 50})
        elif choice < 6:
            self.call("api: appointment", "GET", f"/api/v1/appointments/{self.rng.choice(ids['appointments'])}/")
        elif choice < 7:
            foreign = self.world.foreign(self.active, "appointments", self.rng)
            self.call("api: foreign", "GET", f"/api/v1/appointments/{foreign}/", expect=(404,))
        else:
            self.book(ids)

    def book(self, ids: dict[str, list[str]]) -> None:
        """POST a booking; after a 503, the same request with the same key again."""
        starts_at = self.world.next_slot()
        with self.tally.lock:
            self.tally.slots[starts_at] = self.active
        body = {
            "patient": self.rng.choice(ids["patients"]),
            "provider": self.rng.choice(ids["providers"]),
            "appointment_type": self.rng.choice(ids["types"]),
            "starts_at": starts_at,
            "override_warnings": ALL_WARNINGS,
        }
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        for _ in range(60):
            response = self.call(
                "api: book", "POST", "/api/v1/appointments/", expect=(201,), json=body, headers=headers
            )
            if response.status_code != 503 or not self.running():
                break
        if response.status_code == 201:
            booked = response.json()["id"]
            with self.tally.lock:
                self.world.tenant_owner[booked] = self.active
                self.tally.acknowledged[booked] = (self.active, starts_at)


def users_for(world: World, count: int) -> list[tuple[type, dict]]:
    """`count` users: 40% staff of one clinic, 20% switching, 40% API clients."""
    clinics, switchers = world.data["clinics"], world.data["switchers"]
    staff = round(count * 0.4)
    switching = min(len(switchers), round(count * 0.2))
    plan = [(StaffUser, {"clinic": clinics[n % len(clinics)]}) for n in range(staff)]
    plan += [(SwitchingUser, {"switcher": switchers[n]}) for n in range(switching)]
    plan += [(ApiClient, {"clinic": clinics[n % len(clinics)]}) for n in range(count - staff - switching)]
    return plan


def run(base: str, world: World, *, users: int, seconds: float, tally: Tally | None = None) -> Tally:
    tally = tally or Tally()
    deadline = time.monotonic() + seconds
    threads = [
        kind(base, world, tally, deadline, seed, **options)
        for seed, (kind, options) in enumerate(users_for(world, users))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return tally


def p95(tally: Tally, kinds=None) -> float:
    samples = sorted(s for _, kind, _, s in tally.events if (kinds is None or kind in kinds) and kind != "sign-in")
    return samples[max(0, int(len(samples) * 0.95) - 1)] * 1000 if samples else 0.0


def detector_catches_a_planted_leak(world: World) -> bool:
    """The check itself, on a page with another clinic's patient planted in it."""
    tally, clinic = Tally(), world.data["clinics"][0]
    user = StaffUser("http://127.0.0.1", world, tally, 0.0, 0, clinic=clinic)
    page = requests.Response()
    page.status_code, page.encoding = 200, "utf-8"
    page._content = f'<a href="/patients/{world.foreign(clinic["id"], "patients", user.rng)}/">'.encode()
    user.check("planted", "/", page)
    return len(tally.leaks) == 1
