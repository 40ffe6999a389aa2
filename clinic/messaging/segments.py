"""How many billed SMS segments a text takes, and in which encoding.

A text of GSM-7 characters only (the GSM 03.38 alphabet) fits 160 in one segment;
its extension characters (€, [, ], {, }, \\, ^, ~, |, form feed) take two places,
as an escape and the character. Any other character makes the whole text UCS-2,
70 UTF-16 units in one segment. Longer texts are sent in linked parts that carry
a header: 153 places (GSM-7) or 67 units (UCS-2) each, and neither an escape pair
nor a surrogate pair is split between parts. static/js/sms-segments.js counts the
same way while the template is edited."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7, UCS2 = "GSM-7", "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM7 or UCS2
    length: int  # places used: GSM-7 septets or UTF-16 units
    count: int


def encoding_of(text: str) -> str:
    return GSM7 if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text) else UCS2


def segments(text: str) -> Segments:
    """The encoding, the length in that encoding, and the number of segments (0 for
    an empty text)."""
    encoding = encoding_of(text)
    if encoding == GSM7:
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    length = sum(sizes)
    if length <= SINGLE[encoding]:
        return Segments(encoding, length, 1 if length else 0)
    count, room = 1, PART[encoding]
    for size in sizes:
        if size > room:
            count, room = count + 1, PART[encoding]
        room -= size
    return Segments(encoding, length, count)
