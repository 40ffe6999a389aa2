"""The day grid's positions as one small style sheet.

Where a provider's column, an hour line or an appointment sits on the grid changes with
every day. The Content-Security-Policy refuses style="" attributes (no 'unsafe-inline'
for styles), so each element gets classes that name its grid lines, `gr-12-18` for
rows 12 to 18 and `gc-2-3` for columns 2 to 3, and the page carries the rules for the
lines in use in one <style> element with the response's CSP nonce. The names hold
numbers only, so nothing typed by a user ever reaches the style sheet.

At phone width (PHONE_MAX, as in clinic.css) the grid takes other columns: only one
provider's lanes have width there."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PROPERTIES = {"gr": "grid-row", "gc": "grid-column"}
PHONE_MAX = "40rem"  # the phone layout's breakpoint in static/css/clinic.css
_TRACK = re.compile(r"^[0-9a-z.(), ]+$")  # lengths and minmax() only


def rows_class(start: int, end: int) -> str:
    return f"gr-{start}-{end}"


def columns_class(first: int, last: int) -> str:
    return f"gc-{first}-{last}"


def rule(class_name: str) -> str:
    """`gr-12-18` → `.gr-12-18{grid-row:12/18}`."""
    kind, start, end = class_name.split("-")
    return f".{class_name}{{{_PROPERTIES[kind]}:{int(start)}/{int(end)}}}"


def stylesheet(
    *, template_columns: str, rows: int, class_names: Iterable[str], phone_template_columns: str = ""
) -> str:
    """The grid's own shape, then one rule per placement class, in a stable order."""
    names = sorted({name for names in class_names for name in names.split()})
    lines = [f".day-grid{{grid-template-columns:{_track(template_columns)};--rows:{int(rows)}}}"]
    if phone_template_columns:
        columns = _track(phone_template_columns)
        lines.append(f"@media (max-width:{PHONE_MAX}){{.day-grid{{grid-template-columns:{columns}}}}}")
    return "\n".join([*lines, *map(rule, names)])


def _track(columns: str) -> str:
    if not _TRACK.match(columns):
        raise ValueError(f"Not a track list: {columns!r}")
    return columns
