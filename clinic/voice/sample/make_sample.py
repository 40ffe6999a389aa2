"""Writes voicemail.wav beside this file: 1.5 s of a soft two-tone chime, 8 kHz mono
16-bit (what a phone line carries). The console voice backend serves it as every
recording; run again to regenerate it: `python clinic/voice/sample/make_sample.py`."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000
SECONDS = 1.5


def samples():
    for index in range(int(RATE * SECONDS)):
        t = index / RATE
        tone = 440.0 if t < SECONDS / 2 else 660.0
        fade = min(1.0, t * 20, (SECONDS - t) * 20)
        yield int(9000 * fade * math.sin(2 * math.pi * tone * t))


def main() -> None:
    target = Path(__file__).resolve().parent / "voicemail.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", value) for value in samples()))


if __name__ == "__main__":
    main()
