"""The placeholders a clinic may put in its confirmation text, each declared safe or
clinical.

A text can be read by anyone holding the phone (a family member, a lock screen), so
it carries by default only what the patient needs to turn up: the clinic's name, the
day and time, the link. What reveals the kind of care (the provider's specialty, the
appointment type, the notes, even the provider's name) is CLINICAL: the settings
refuse it unless the clinic opted in to clinical details, and rendering drops it
when the clinic has not (rendering.render_confirmation), whatever the template says.

Every placeholder the settings page offers is declared here, with its sensitivity;
tests/messaging/test_template_variables.py renders each one and fails on one whose text
reveals clinical detail but is declared safe, or that has no declaration."""

from __future__ import annotations

import enum
import string
from dataclasses import dataclass


class Sensitivity(enum.StrEnum):
    SAFE = "safe"
    CLINICAL = "clinical"


@dataclass(frozen=True)
class TemplateVariable:
    name: str
    meaning: str
    sensitivity: Sensitivity

    @property
    def clinical(self) -> bool:
        return self.sensitivity == Sensitivity.CLINICAL


SAFE, CLINICAL = Sensitivity.SAFE, Sensitivity.CLINICAL
TEMPLATE_VARIABLES: tuple[TemplateVariable, ...] = (
    TemplateVariable("first_name", "the patient's first name", SAFE),
    TemplateVariable("clinic", "the clinic's name", SAFE),
    TemplateVariable("date", "the appointment's day, e.g. Mon 4 Mar", SAFE),
    TemplateVariable("time", "its time, e.g. 09:30", SAFE),
    TemplateVariable("link", "the confirmation link (required)", SAFE),
    TemplateVariable("clinic_phone", "the clinic's phone number", SAFE),
    # A provider's name alone can say what kind of care it is (an oncologist's).
    TemplateVariable("provider", "the provider's name", CLINICAL),
    TemplateVariable("specialty", "the provider's specialty", CLINICAL),
    TemplateVariable("appointment_type", "the appointment type, e.g. Check-up", CLINICAL),
    TemplateVariable("notes", "the appointment's notes (first 160 characters)", CLINICAL),
)
BY_NAME = {variable.name: variable for variable in TEMPLATE_VARIABLES}
TEMPLATE_FIELDS = tuple(BY_NAME)
CLINICAL_FIELDS = frozenset(variable.name for variable in TEMPLATE_VARIABLES if variable.clinical)

CLINICAL_WARNING = "These details are health information; a text can be read by anyone holding the phone."


def placeholders_in(template: str) -> set[str]:
    """The placeholder names `template` uses (ValueError on a stray brace)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def clinical_placeholders(template: str) -> list[str]:
    """The clinical placeholders `template` uses, in declaration order."""
    try:
        used = placeholders_in(template)
    except ValueError:
        return []
    return [name for name in TEMPLATE_FIELDS if name in used and name in CLINICAL_FIELDS]


def clinical_refusal(template: str) -> str:
    """Why a template cannot be saved without the opt-in, or "" when it can."""
    names = clinical_placeholders(template)
    if not names:
        return ""
    listed = ", ".join("{" + name + "}" for name in names)
    return (
        f"{listed} would put clinical details in the text. {CLINICAL_WARNING} "
        "Turn on \u201cInclude clinical details\u201d to use them, or remove them."
    )
