"""Reading a file of numbers that opted out elsewhere (a previous system, the SMS
provider's own list), for clinic.messaging.services.sms_opt_outs_import.

The file: CSV or plain text, one number per line, an optional header line, an
optional second column with the date the number opted out (YYYY-MM-DD). Numbers
without a country code are read in the clinic's region, as on the patient form.
Every problem is collected with its line number, so one upload says all that is
wrong; the caller stores nothing unless there is none."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from clinic.core.phones import normalize_phone

MAX_BYTES = 1_048_576
MAX_ROWS = 10_000
EXTENSIONS = (".csv", ".txt")
LINES_NAMED = 20  # in one message; more are counted, not listed


@dataclass(frozen=True)
class OptOutEntry:
    phone: str  # E.164
    opted_out_on: dt.date | None
    line: int


def read_opt_out_file(data: bytes, *, region: str, name: str = "") -> list[OptOutEntry]:
    """The file's numbers, each once (its first line), or ValidationError saying
    what is wrong and on which lines."""
    if name and not name.lower().endswith(EXTENSIONS):
        raise ValidationError("Upload a CSV or plain text file (.csv or .txt).", code="not_csv")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is over {MAX_BYTES // 1_048_576} MB; split it.", code="too_big")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save it as CSV (UTF-8).", code="not_csv") from None
    if "\x00" in text:
        raise ValidationError("The file is not text; save it as CSV (UTF-8).", code="not_csv")
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1) if any(row)]
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise ValidationError("The file has no phone numbers.", code="empty")
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"The file has {len(rows):,} numbers; at most {MAX_ROWS:,} at once.", code="too_many")
    entries: dict[str, OptOutEntry] = {}
    bad: dict[str, list[int]] = {}
    for line, row in rows:
        cells = [cell.strip() for cell in row]
        problem, entry = _entry(line, cells, region)
        if problem:
            bad.setdefault(problem, []).append(line)
        elif entry.phone not in entries:
            entries[entry.phone] = entry
    if bad:
        raise ValidationError([_lines_message(problem, lines) for problem, lines in bad.items()], code="bad_lines")
    return list(entries.values())


def _is_header(row: list[str]) -> bool:
    """A first line with no digit in its first cell ("phone", "Number,Opted out")."""
    return not any(char.isdigit() for char in row[0])


def _entry(line: int, cells: list[str], region: str) -> tuple[str, OptOutEntry | None]:
    if any(cells[2:]):
        return "More than two columns (a number, then optionally a date)", None
    try:
        phone = normalize_phone(cells[0], region)
    except ValidationError:
        return "Not a phone number", None
    opted_out_on = None
    if len(cells) > 1 and cells[1]:
        try:
            opted_out_on = dt.date.fromisoformat(cells[1][:10])
        except ValueError:
            return "Not a date (YYYY-MM-DD)", None
    return "", OptOutEntry(phone=phone, opted_out_on=opted_out_on, line=line)


def _lines_message(problem: str, lines: list[int]) -> str:
    named = [str(line) for line in lines[:LINES_NAMED]]
    if len(lines) > LINES_NAMED:
        named.append(f"{len(lines) - LINES_NAMED} more")
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{problem} on line{'s' if len(lines) > 1 else ''} {listed}."
