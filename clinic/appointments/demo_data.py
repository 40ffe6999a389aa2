"""The two demo clinics that `manage.py seed_demo` creates. Every name is made up;
the phone numbers are from ranges reserved for fiction (+1 202-555-01xx, and Ofcom's
+44 20 7946 0xxx), so no real person is ever texted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEMO_PASSWORD = "clinic-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class DemoProvider:
    title: str
    name: str
    specialty: str
    # weekday (0 = Monday) -> (starts, ends), local time
    hours: dict[int, tuple[dt.time, dt.time]]


@dataclass(frozen=True)
class DemoType:
    name: str
    minutes: int
    colour: str
    # How often it is booked, relative to the clinic's other types.
    weight: int


@dataclass(frozen=True)
class DemoClinic:
    name: str
    slug: str
    timezone: str
    owner: DemoUser
    providers: tuple[DemoProvider, ...]
    types: tuple[DemoType, ...]
    phone_prefix: str
    first_number: int
    patients: tuple[tuple[str, str], ...]
    email_domain: str


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _days(days: range | tuple[int, ...], starts: str, ends: str) -> dict[int, tuple[dt.time, dt.time]]:
    return {day: (_t(starts), _t(ends)) for day in days}


WEEKDAYS = range(0, 5)

SHARED_STAFF = DemoUser("sam-staff", "Sam", "Rivera", "sam.rivera@clinic-demo.example")

NORTHSIDE = DemoClinic(
    name="Northside Family Clinic",
    slug="northside",
    timezone="America/New_York",
    owner=DemoUser("northside-owner", "Nora", "Bennett", "nora.bennett@northside.example"),
    providers=(
        DemoProvider("Dr.", "Maya Patel", "Family medicine", _days(WEEKDAYS, "08:00", "16:00")),
        DemoProvider(
            "Dr.",
            "James Okafor",
            "Pediatrics",
            {**_days(range(0, 4), "09:00", "17:00"), 4: (_t("09:00"), _t("13:00"))},
        ),
        # Weekends too: every day `make run` shows has someone working.
        DemoProvider(
            "NP",
            "Lena Brooks",
            "Nurse practitioner",
            {**_days(range(1, 6), "08:30", "14:30"), 6: (_t("10:00"), _t("14:00"))},
        ),
    ),
    types=(
        DemoType("Check-up", 30, "#2f7d6d", 5),
        DemoType("Follow-up", 20, "#3b73c4", 4),
        DemoType("New patient visit", 60, "#7a5cc7", 1),
        DemoType("Vaccination", 15, "#d07a2b", 2),
    ),
    phone_prefix="+1202555",
    first_number=100,
    patients=(
        ("Olivia", "Martinez"),
        ("Ethan", "Johnson"),
        ("Ava", "Thompson"),
        ("Noah", "Williams"),
        ("Sophia", "Nguyen"),
        ("Liam", "O'Connor"),
        ("Isabella", "Garcia"),
        ("Mason", "Brown"),
        ("Mia", "Robinson"),
        ("Lucas", "Kim"),
        ("Harper", "Davis"),
        ("Elijah", "Washington"),
        ("Amelia", "Rossi"),
        ("Benjamin", "Cohen"),
        ("Evelyn", "Clarke"),
        ("Henry", "Adeyemi"),
        ("Abigail", "Schultz"),
        ("Daniel", "Reyes"),
        ("Emily", "Foster"),
        ("Samuel", "Park"),
    ),
    email_domain="mail.example",
)

LAKEVIEW = DemoClinic(
    name="Lakeview Dental",
    slug="lakeview",
    timezone="Europe/London",
    owner=DemoUser("lakeview-owner", "Liam", "Carter", "liam.carter@lakeview.example"),
    providers=(
        DemoProvider("Dr", "Eleanor Hughes", "General dentistry", _days(WEEKDAYS, "08:30", "17:00")),
        DemoProvider("Dr", "Tom Whitaker", "Orthodontics", _days((0, 2, 3), "09:00", "17:30")),
        DemoProvider(
            "",
            "Priya Shah",
            "Dental hygienist",
            {**_days(WEEKDAYS, "08:00", "14:00"), 5: (_t("09:00"), _t("13:00")), 6: (_t("10:00"), _t("13:00"))},
        ),
    ),
    types=(
        DemoType("Check-up", 30, "#2f7d6d", 5),
        DemoType("Hygiene clean", 30, "#3b73c4", 4),
        DemoType("Filling", 45, "#b5523b", 2),
        DemoType("Emergency", 20, "#c2410c", 1),
        DemoType("Orthodontic review", 20, "#7a5cc7", 2),
    ),
    phone_prefix="+44207946",
    first_number=100,
    patients=(
        ("Oliver", "Smith"),
        ("Amelia", "Jones"),
        ("George", "Taylor"),
        ("Isla", "Davies"),
        ("Harry", "Evans"),
        ("Poppy", "Wilson"),
        ("Jack", "Thomas"),
        ("Freya", "Roberts"),
        ("Charlie", "Walker"),
        ("Florence", "Wright"),
        ("Alfie", "Hughes"),
        ("Evie", "Edwards"),
        ("Arthur", "Green"),
        ("Grace", "Hall"),
        ("Theo", "Khan"),
        ("Ivy", "Murphy"),
        ("Leo", "Patel"),
        ("Rosie", "Campbell"),
        ("Oscar", "Lewis"),
        ("Matilda", "Ahmed"),
        ("Finley", "Morgan"),
    ),
    email_domain="post.example",
)

CLINICS = (NORTHSIDE, LAKEVIEW)

PATIENT_NOTES = (
    "Prefers morning appointments.",
    "Allergic to penicillin.",
    "Hard of hearing: speak clearly, face the patient.",
    "Needs a wheelchair-accessible room.",
    "",
    "",
    "",
)
