"""Counting SMS segments (clinic.messaging.segments)."""

from __future__ import annotations

import pytest

from clinic.messaging.segments import GSM7, UCS2, segments


@pytest.mark.parametrize(
    ("text", "encoding", "length", "count"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),  # two parts of 153
        ("a" * 307, GSM7, 307, 3),
        ("€" * 80, GSM7, 160, 1),  # extension characters take two places
        ("[" + "a" * 159, GSM7, 161, 2),
        ("€" + "a" * 158, GSM7, 160, 1),
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),  # the escape pair moves to the next part whole
        ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),  # ... so 306 places need three parts here
        ("Café à 9h, ÄÖÜ ñ £5 @ §", GSM7, 23, 1),  # in the GSM-7 alphabet, accents and all
        ("ç" * 70, UCS2, 70, 1),  # lower-case ç is not GSM-7 (only Ç is)
        ("ç" * 71, UCS2, 71, 2),
        ("ç" * 134, UCS2, 134, 2),  # two parts of 67
        ("ç" * 135, UCS2, 135, 3),
        ("a" * 159 + "’", UCS2, 160, 3),  # one curly apostrophe makes the whole text UCS-2
        ("😀" * 35, UCS2, 70, 1),  # outside the BMP: two UTF-16 units each
        ("a" * 66 + "😀" + "a", UCS2, 69, 1),
        ("a" * 66 + "😀" + "a" * 5, UCS2, 73, 2),  # the surrogate pair is not split
    ],
)
def test_segments(text, encoding, length, count):
    counted = segments(text)
    assert (counted.encoding, counted.length, counted.count) == (encoding, length, count)
