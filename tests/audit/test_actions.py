"""Each app declares the audit actions it records (clinic/<app>/audit_actions.py); the
audit field reads them through a callable, so adding one needs no migration, and an
action nobody declared is refused rather than stored."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models

from clinic.audit import actions
from clinic.audit.models import AuditEvent
from clinic.audit.trail import record
from clinic.voice.audit_actions import AuditAction as VoiceAction
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# An action by its member name (on `Action` or an app's `AuditAction`), wherever one is recorded or looked for.
ACTION_NAME = re.compile(r"\bA(?:uditA)?ction\.([A-Z][A-Z0-9_]+)\b")
# The last migration that listed the choices: every value stored before it still reads.
LISTED = importlib.import_module("clinic.audit.migrations.0008_voice_actions")


def listed_choices() -> list[tuple[str, str]]:
    (alter,) = [op for op in LISTED.Migration.operations if op.name == "action"]
    return list(alter.field.choices)


def test_every_action_once_listed_is_declared_with_its_label():
    assert set(listed_choices()) <= set(actions.action_choices())


def test_each_app_declares_its_own_actions():
    declared = actions.declared()
    assert {"audit", "accounts", "api", "calendars", "lifecycle", "messaging", "voice"} <= set(declared)
    assert AuditEvent.Action.LOGIN is declared["accounts"].LOGIN
    assert AuditEvent.Action("voicemail_played").label == "Voicemail listened to"
    values = [value for value, _ in actions.action_choices()]
    assert len(values) == len(set(values))


def test_every_action_named_in_code_is_declared():
    names = set()
    for folder in ("clinic", "tests", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(ACTION_NAME.findall(path.read_text()))
    assert names, "the pattern finds the actions the code records"
    undeclared = sorted(name for name in names if not hasattr(AuditEvent.Action, name))
    assert undeclared == []


def test_adding_an_action_to_an_app_needs_no_migration():
    extended = models.TextChoices(
        "AuditAction",
        [(member.name, (member.value, member.label)) for member in VoiceAction]
        + [("VOICEMAIL_FORWARDED", ("voicemail_forwarded", "Voicemail forwarded"))],
    )
    actions.register("voice", extended)
    try:
        field = AuditEvent._meta.get_field("action")
        assert ("voicemail_forwarded", "Voicemail forwarded") in list(field.choices)
        assert AuditEvent(action="voicemail_forwarded").get_action_display() == "Voicemail forwarded"
        # --check exits non-zero when a migration is missing.
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    finally:
        actions.register("voice", VoiceAction)
    assert "voicemail_forwarded" not in AuditEvent.Action


def test_an_action_another_app_declared_is_refused():
    taken = models.TextChoices("AuditAction", [("SIGNED_IN", ("login", "Signed in again"))])
    with pytest.raises(ValueError, match="already declared by accounts"):
        actions.register("voice", taken)
    same_name = models.TextChoices("AuditAction", [("LOGIN", ("voice_login", "Signed in by phone"))])
    with pytest.raises(ValueError, match="already declared by accounts"):
        actions.register("voice", same_name)
    too_long = models.TextChoices("AuditAction", [("LONG", ("x" * (actions.MAX_LENGTH + 1), "Long"))])
    with pytest.raises(ValueError, match="longer than"):
        actions.register("voice", too_long)
    assert actions.declared()["voice"] is VoiceAction


def test_an_undeclared_action_is_not_recorded(org_a):
    with tenant_context(org=org_a):
        with pytest.raises(ValueError, match="not a declared audit action"):
            record("voicemail_forwarded")
        assert not AuditEvent.objects.filter(action="voicemail_forwarded").exists()
        event = record(AuditEvent.Action.VOICEMAIL_HANDLED)
    assert event.get_action_display() == "Voicemail marked handled"


def test_the_model_validates_the_action(org_a):
    event = AuditEvent(organization_id=org_a.pk, action="voicemail_forwarded", actor_type=AuditEvent.Actor.SYSTEM)
    with pytest.raises(ValidationError) as raised:
        event.full_clean(exclude=["organization"])
    assert "action" in raised.value.message_dict
    event.action = AuditEvent.Action.EXPORT
    event.full_clean(exclude=["organization"])
