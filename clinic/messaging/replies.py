"""What a patient's text means. Case and spaces are ignored.

CANCEL is an opt-out here, not a cancellation: carriers treat it as one, so a
patient who texts it expects to hear nothing more. Cancelling is N, NO or 2.

YES means one thing while an appointment of the number awaits an answer (it confirms
it, like C) and another otherwise (an opt-in keyword; docs/admin/sms-compliance.md).
Every other keyword means the same whatever awaits: STOP and its kin (CANCEL
included) always opt out, START and UNSTOP always opt in."""

from __future__ import annotations

import enum

CONFIRM_WORDS = frozenset({"C", "Y", "YES", "1"})
CANCEL_WORDS = frozenset({"N", "NO", "2"})
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})
# The words that answer an appointment awaiting an answer before they are keywords.
WHILE_AWAITING = {"YES": "confirm"}


class Intent(enum.Enum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


def keyword_of(body: str) -> str:
    """The text as one upper-case word, as keywords are compared ("Stop all." -> "STOPALL")."""
    return "".join(body.split()).upper().rstrip(".!")


def parse_reply(body: str, *, awaiting_answer: bool) -> Intent:
    """What the text asks for; `awaiting_answer`: whether an appointment of the
    sender's number awaits an answer (clinic.messaging.inbound.reading decides)."""
    word = keyword_of(body)
    if awaiting_answer and word in WHILE_AWAITING:
        return Intent(WHILE_AWAITING[word])
    for words, intent in (
        (OPT_OUT_WORDS, Intent.OPT_OUT),
        (OPT_IN_WORDS, Intent.OPT_IN),
        (CONFIRM_WORDS, Intent.CONFIRM),
        (CANCEL_WORDS, Intent.CANCEL),
        (HELP_WORDS, Intent.HELP),
    ):
        if word in words:
            return intent
    return Intent.OTHER
