"""The day schedule laid out as a grid: a column per provider, a row per five minutes
of the clinic's local day, each appointment spanning the rows of its time.

Positions are wall-clock times in the clinic's zone, so a 09:00 appointment sits on
the 09:00 line on the days the clocks change too. Active appointments never overlap
for one provider (the database refuses it), but a cancelled or no-show one may share
its slot with the booking that replaced it: that provider then gets a second lane.

A provider's busy times from their busy calendars (clinic.calendars) are greyed across
their column, under the appointments; they do not widen the grid's hours.

On a phone the grid shows one provider's column at a time (`shown`, the first unless
the page asks for another): the others' elements carry `day-grid__aside`, which the
style sheet hides at phone width, where their lanes shrink to nothing."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from clinic.appointments.models import Appointment, Provider, WorkingHours
from clinic.core.redirects import RowUrl
from clinic.core.timezones import to_local
from clinic.messaging.selectors import SmsMark, day_marks
from clinic.staff.views.grid_styles import columns_class, rows_class, stylesheet

SLOT_MINUTES = 5
DAY_MINUTES = 24 * 60
# The grid shows at least these hours, and more when work starts earlier or ends later.
DEFAULT_OPEN = 8 * 60
DEFAULT_CLOSE = 18 * 60
TIME_COLUMN = "4.25rem"
PHONE_TIME_COLUMN = "3.25rem"
LANE_MIN_REM = 11

# The status changes offered as buttons on the schedule, in this order; each is shown
# only when the model allows it for that appointment now.
QUICK_ACTIONS = (
    (Appointment.Status.CONFIRMED, "Confirm"),
    (Appointment.Status.ARRIVED, "Arrived"),
    (Appointment.Status.COMPLETED, "Completed"),
    (Appointment.Status.NO_SHOW, "No-show"),
    (Appointment.Status.CANCELLED, "Cancel"),
)
# Shown quieter: they end a visit that did not happen.
QUIET_ACTIONS = frozenset({Appointment.Status.NO_SHOW, Appointment.Status.CANCELLED})


@dataclass(frozen=True)
class Action:
    status: str
    label: str
    quiet: bool

    @property
    def classes(self) -> str:
        return "button--link button--tiny" if self.quiet else "button--secondary button--tiny"


@dataclass(frozen=True)
class Block:
    """One appointment on the grid, with what its card shows already as text: a full
    day has dozens of cards, and the template only puts these strings in place
    (times as "H:i", the links from BlockLinks)."""

    appointment: Appointment
    starts: dt.datetime
    ends: dt.datetime
    row: int
    row_end: int
    column: int
    actions: tuple[Action, ...]
    sms_mark: SmsMark | None = None
    detail_url: str = ""
    status_url: str = ""
    patient_name: str = ""
    status_label: str = ""
    type_name: str = ""
    type_colour: str = ""
    # What a screen reader hears after each button's label: whose and when.
    action_suffix: str = ""

    @property
    def placement(self) -> str:
        return f"{rows_class(self.row, self.row_end)} {columns_class(self.column, self.column + 1)}"

    @property
    def span_label(self) -> str:
        return f"{self.starts:%H:%M}\N{EN DASH}{self.ends:%H:%M}"

    @property
    def buttons(self) -> SafeString:
        """The card's status buttons, as the grid's template placed them with a loop:
        hundreds of buttons a day, and a template loop's variables cost more than the
        rest of a card. Only the suffix differs by card; it is escaped once."""
        suffix = escape(self.action_suffix)
        return mark_safe("".join(f"{_button_start(action)}{suffix}{_BUTTON_END}" for action in self.actions))  # noqa: S308


# One status button, with the whitespace the template's loop gave it (it separates the
# buttons on the page): its start is the same for every card.
@functools.cache
def _button_start(action: Action) -> SafeString:
    return format_html(
        '\n                  <button type="submit" name="status" value="{}" class="{}">'
        '{}<span class="visually-hidden">',
        action.status,
        action.classes,
        action.label,
    )


_BUTTON_END = "</span></button>\n                "


class BlockLinks:
    """An appointment's page and its status buttons' address, reversed once per page."""

    def __init__(self) -> None:
        self.detail = RowUrl("appointments:detail")
        self.status = RowUrl("appointments:status")


@dataclass(frozen=True)
class BusyBlock:
    """A busy time of the provider, from one of their busy calendars."""

    calendar_name: str
    starts: dt.datetime
    ends: dt.datetime
    row: int
    row_end: int
    columns: str

    @property
    def placement(self) -> str:
        return f"{rows_class(self.row, self.row_end)} {self.columns}"


@dataclass
class Column:
    provider: Provider
    first: int
    lanes: int = 1
    hours: WorkingHours | None = None
    open_rows: tuple[int, int] | None = None
    blocks: list[Block] = field(default_factory=list)
    busy: list[BusyBlock] = field(default_factory=list)
    shown: bool = False  # the column a phone shows

    @property
    def last(self) -> int:
        return self.first + self.lanes

    @property
    def columns_placement(self) -> str:
        return columns_class(self.first, self.last)

    @property
    def open_placement(self) -> str:
        return rows_class(*self.open_rows) if self.open_rows else ""


@dataclass(frozen=True)
class HourMark:
    label: str
    row: int

    @property
    def label_placement(self) -> str:
        return rows_class(self.row, self.row + 60 // SLOT_MINUTES)

    @property
    def line_placement(self) -> str:
        return rows_class(self.row, self.row + 1)

    @property
    def half_line_placement(self) -> str:
        half = 30 // SLOT_MINUTES
        return rows_class(self.row + half, self.row + half + 1)


@dataclass(frozen=True)
class DayGrid:
    columns: list[Column]
    hours: list[HourMark]
    rows: int
    now_row: int | None

    @property
    def template_columns(self) -> str:
        lanes = []
        for column in self.columns:
            share = 1 / column.lanes
            lanes += [f"minmax({LANE_MIN_REM * share:g}rem, {share:g}fr)"] * column.lanes
        return " ".join([TIME_COLUMN, *lanes])

    @property
    def phone_template_columns(self) -> str:
        """The shown column's lanes share the width; every other lane takes none."""
        lanes = []
        for column in self.columns:
            lane = f"minmax(0, {1 / column.lanes:g}fr)" if column.shown else "0"
            lanes += [lane] * column.lanes
        return " ".join([PHONE_TIME_COLUMN, *lanes])

    @property
    def now_placement(self) -> str:
        return rows_class(self.now_row, self.now_row + 1) if self.now_row else ""

    @property
    def stylesheet(self) -> str:
        """The rules for every placement class the template uses (see grid_styles)."""
        used = [self.now_placement]
        for column in self.columns:
            used += [column.columns_placement, column.open_placement, *(block.placement for block in column.blocks)]
            used += [busy.placement for busy in column.busy]
        for mark in self.hours:
            used += [mark.label_placement, mark.line_placement, mark.half_line_placement]
        return stylesheet(
            template_columns=self.template_columns,
            phone_template_columns=self.phone_template_columns,
            rows=self.rows,
            class_names=used,
        )


def quick_actions(appointment: Appointment, now: dt.datetime) -> tuple[Action, ...]:
    allowed = appointment.allowed_statuses(now)
    return tuple(Action(status, label, status in QUIET_ACTIONS) for status, label in QUICK_ACTIONS if status in allowed)


def wall_minute(instant: dt.datetime, day: dt.date, zone: ZoneInfo) -> int:
    """Minutes after local midnight on `day`, clamped to the day."""
    local = to_local(instant, zone)
    if local.date() < day:
        return 0
    if local.date() > day:
        return DAY_MINUTES
    return local.hour * 60 + local.minute


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


class Rows:
    """Grid rows of SLOT_MINUTES each, after the header row."""

    HEADER_ROWS = 1

    def __init__(self, first_minute: int) -> None:
        self.first = first_minute

    def start(self, minute: int) -> int:
        return self.HEADER_ROWS + 1 + (minute - self.first) // SLOT_MINUTES

    def end(self, minute: int) -> int:
        return self.HEADER_ROWS + 1 - (-(minute - self.first) // SLOT_MINUTES)


def build_day_grid(
    *,
    day: dt.date,
    zone: ZoneInfo,
    providers: Sequence[Provider],
    appointments: Iterable[Appointment],
    working_hours: Iterable[WorkingHours],
    now: dt.datetime,
    busy_intervals: Iterable = (),
    shown_provider_id=None,
    sms_marks: dict[object, SmsMark] | None = None,
) -> DayGrid:
    spans = [
        (appointment, wall_minute(appointment.starts_at, day, zone), wall_minute(appointment.ends_at, day, zone))
        for appointment in appointments
    ]
    hours = {hours.provider_id: hours for hours in working_hours}
    if sms_marks is None:  # not read with the appointments: the whole day at once
        sms_marks = day_marks(appointment.pk for appointment, _, _ in spans)
    first, last = _bounds(spans, hours.values())
    rows = Rows(first)
    links = BlockLinks()
    columns, next_column = [], 2  # grid column 1 holds the hour labels
    for provider in providers:
        mine = [span for span in spans if span[0].provider_id == provider.pk]
        column = _column(provider, next_column, hours.get(provider.pk), mine, rows, zone, now, sms_marks, links)
        column.busy = _busy_blocks(
            column, [i for i in busy_intervals if i.provider_id == provider.pk], day, zone, rows, last
        )
        columns.append(column)
        next_column = column.last
    shown = next((c for c in columns if c.provider.pk == shown_provider_id), columns[0] if columns else None)
    if shown is not None:
        shown.shown = True
    marks = [HourMark(f"{minute // 60:02d}:00", rows.start(minute)) for minute in range(first, last, 60)]
    now_minute = wall_minute(now, day, zone)
    now_row = rows.start(now_minute) if to_local(now, zone).date() == day and first <= now_minute < last else None
    return DayGrid(columns=columns, hours=marks, rows=(last - first) // SLOT_MINUTES, now_row=now_row)


def _column(
    provider: Provider, first: int, hours: WorkingHours | None, spans, rows: Rows, zone, now, marks, links: BlockLinks
) -> Column:
    column = Column(provider=provider, first=first, hours=hours)
    if hours is not None:
        column.open_rows = (rows.start(_minutes(hours.starts)), rows.end(_minutes(hours.ends)))
    lanes = assign_lanes(spans)
    column.lanes = max(lanes, default=0) + 1
    for (appointment, start, end), lane in zip(spans, lanes, strict=True):
        block = _block(appointment, start, end, rows, first + lane, zone, now, marks.get(appointment.pk), links)
        column.blocks.append(block)
    column.blocks.sort(key=lambda block: (block.row, block.column))
    return column


def _block(
    appointment, start: int, end: int, rows: Rows, column: int, zone: ZoneInfo, now, sms_mark=None, links=None
) -> Block:
    row = rows.start(start)
    links = links or BlockLinks()
    starts, patient_name = to_local(appointment.starts_at, zone), str(appointment.patient)
    return Block(
        appointment=appointment,
        starts=starts,
        ends=to_local(appointment.ends_at, zone),
        row=row,
        row_end=max(rows.end(end), row + 1),
        column=column,
        actions=quick_actions(appointment, now),
        sms_mark=sms_mark,
        detail_url=links.detail(appointment.pk),
        status_url=links.status(appointment.pk),
        patient_name=patient_name,
        action_suffix=f": {patient_name} at {starts:%H:%M}",
        status_label=appointment.get_status_display(),
        type_name=str(appointment.appointment_type),
        type_colour=appointment.appointment_type.colour,
    )


def _busy_blocks(column: Column, intervals, day: dt.date, zone: ZoneInfo, rows: Rows, last: int) -> list[BusyBlock]:
    """The busy times within the hours the grid shows, across the provider's lanes."""
    blocks = []
    for interval in intervals:
        start = max(wall_minute(interval.starts_at, day, zone), rows.first)
        end = min(wall_minute(interval.ends_at, day, zone), last)
        if end <= start:
            continue
        blocks.append(
            BusyBlock(
                calendar_name=interval.busy_calendar.name,
                starts=to_local(interval.starts_at, zone),
                ends=to_local(interval.ends_at, zone),
                row=rows.start(start),
                row_end=max(rows.end(end), rows.start(start) + 1),
                columns=column.columns_placement,
            )
        )
    return blocks


def _bounds(spans, hours: Iterable[WorkingHours]) -> tuple[int, int]:
    """The first and last minute the grid shows, on whole hours."""
    starts = [DEFAULT_OPEN, *(start for _, start, _ in spans), *(_minutes(h.starts) for h in hours)]
    ends = [DEFAULT_CLOSE, *(end for _, _, end in spans), *(_minutes(h.ends) for h in hours)]
    first = min(starts) // 60 * 60
    last = min(-(-max(ends) // 60) * 60, DAY_MINUTES)
    return first, max(last, first + 60)


def assign_lanes(spans: Sequence[tuple[Appointment, int, int]]) -> list[int]:
    """A lane per span so that no two spans in one lane overlap. Appointments that hold
    their slot come first, so they always take the first lane."""
    order = sorted(range(len(spans)), key=lambda i: (not spans[i][0].holds_slot, spans[i][1], spans[i][2]))
    lanes: list[list[tuple[int, int]]] = []
    assigned = [0] * len(spans)
    for index in order:
        _, start, end = spans[index]
        end = max(end, start + SLOT_MINUTES)
        for number, taken in enumerate(lanes):
            if all(end <= other_start or start >= other_end for other_start, other_end in taken):
                taken.append((start, end))
                assigned[index] = number
                break
        else:
            lanes.append([(start, end)])
            assigned[index] = len(lanes) - 1
    return assigned
