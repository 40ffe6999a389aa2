"""What a patient's text means. Case and spaces are ignored.

CANCEL is an opt-out here, not a cancellation: carriers treat it as one, so a
patient who texts it expects to hear nothing more. Cancelling is N, NO or 2."""

from __future__ import annotations

import enum

CONFIRM_WORDS = frozenset({"C", "Y", "YES", "1"})
CANCEL_WORDS = frozenset({"N", "NO", "2"})
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})


class Intent(enum.Enum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


def parse_reply(body: str) -> Intent:
    word = "".join(body.split()).upper().rstrip(".!")
    for words, intent in (
        (CONFIRM_WORDS, Intent.CONFIRM),
        (CANCEL_WORDS, Intent.CANCEL),
        (OPT_OUT_WORDS, Intent.OPT_OUT),
        (OPT_IN_WORDS, Intent.OPT_IN),
        (HELP_WORDS, Intent.HELP),
    ):
        if word in words:
            return intent
    return Intent.OTHER
