"""The day grid's positions as one small style sheet.

Where a provider's column, an hour line or an appointment sits on the grid changes with
every day. The Content-Security-Policy refuses style="" attributes (no 'unsafe-inline'
for styles), so each element gets classes that name its grid lines, `gr-12-18` for
rows 12 to 18 and `gc-2-3` for columns 2 to 3, and the page carries the rules for the
lines in use in one <style> element with the response's CSP nonce. The names hold
numbers only, so nothing typed by a user ever reaches the style sheet."""

from __future__ import annotations

from collections.abc import Iterable

_PROPERTIES = {"gr": "grid-row", "gc": "grid-column"}


def rows_class(start: int, end: int) -> str:
    return f"gr-{start}-{end}"


def columns_class(first: int, last: int) -> str:
    return f"gc-{first}-{last}"


def rule(class_name: str) -> str:
    """`gr-12-18` → `.gr-12-18{grid-row:12/18}`."""
    kind, start, end = class_name.split("-")
    return f".{class_name}{{{_PROPERTIES[kind]}:{int(start)}/{int(end)}}}"


def stylesheet(*, template_columns: str, rows: int, class_names: Iterable[str]) -> str:
    """The grid's own shape, then one rule per placement class, in a stable order."""
    names = sorted({name for names in class_names for name in names.split()})
    return "\n".join([f".day-grid{{grid-template-columns:{template_columns};--rows:{int(rows)}}}", *map(rule, names)])
