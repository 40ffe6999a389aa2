"""Writing the audit trail: `record()` adds one event to the current clinic, in the
current transaction (one INSERT), with whoever is acting.

Who is acting comes from the request being served (`RequestAuditMiddleware` keeps
it in a ContextVar): an API key (`request.auth` carries its id), else the signed-in
user. Outside a request, the caller names the actor (a worker job, an SMS webhook)
or it is the system (a management command). An event committed with its change and
rolled back with it: no change without its event, no event for a rolled-back one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from clinic.audit.models import AuditEvent
from tenancy.context import current_org_id, tenant_context

Action = AuditEvent.Action
Actor = AuditEvent.Actor

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_acting: ContextVar[ActorInfo | None] = ContextVar("audit_actor", default=None)


@dataclass(frozen=True)
class ActorInfo:
    kind: str
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    label: str = ""


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """Events recorded in this block name `request`'s caller, address and id."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def acting_as(actor: ActorInfo) -> Iterator[None]:
    """Events recorded in this block without an actor of their own name `actor`:
    for work no signed-in person or key does (an SMS webhook, a worker job)."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def record(
    action: str,
    *,
    obj=None,
    object_type: str = "",
    object_id=None,
    patient_id=None,
    changed_fields: Iterable[str] = (),
    actor: ActorInfo | None = None,
    user=None,
    using: str = "default",
) -> AuditEvent | None:
    """Add one event to the current clinic. `obj` gives the object type and id; a
    Patient is also the patient concerned. `user` names the actor when the request
    has none yet (a sign-in), `actor` when there is no request (a job, a webhook).
    `using`: the connection whose tenant transaction the event joins (the owner
    role's, for a privileged command working as each clinic)."""
    if action not in Action:
        # An undeclared action would be stored, then read as no action at all.
        raise ValueError(f"{action!r} is not a declared audit action (clinic/<app>/audit_actions.py).")
    if not settings.AUDIT_ENABLED:
        return None
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = obj.pk if object_id is None else object_id
        if patient_id is None:
            patient_id = obj.pk if obj._meta.label == "appointments.Patient" else getattr(obj, "patient_id", None)
    request = _request.get()
    actor = actor or _actor_of(request, user)
    event = AuditEvent(
        organization_id=current_org_id(),
        action=action,
        actor_type=actor.kind,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:150],
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        changed_fields=sorted(set(changed_fields)),
        **_request_details(request),
    )
    event.save(force_insert=True, using=using)
    return event


def record_in(org_id, action: str, *, user, **details) -> None:
    """Record in clinic `org_id`, which may not be the current one (a clinic switch
    is recorded in the clinic switched to): at once if no other clinic is open in
    this transaction, else right after it commits, in a transaction of its own."""
    current = current_org_id()
    if current == org_id:
        record(action, user=user, **details)
        return
    request = _request.get()

    def write() -> None:
        token = _request.set(request)
        try:
            with tenant_context(org=org_id, user=user):
                record(action, user=user, **details)
        finally:
            _request.reset(token)

    if current is None:
        write()
    else:
        transaction.on_commit(write)


def current_actor() -> ActorInfo:
    """Whoever is acting now, as record() would name them."""
    return _actor_of(_request.get(), None)


def user_actor(user) -> ActorInfo:
    return ActorInfo(Actor.USER, user_id=user.pk, label=user.get_username())


def _actor_of(request: HttpRequest | None, user) -> ActorInfo:
    if user is not None:
        return user_actor(user)
    acting = _acting.get()
    if acting is not None:
        return acting
    if request is None:
        return ActorInfo(Actor.SYSTEM)
    # DRF copies the authenticated principal onto the Django request as `auth`.
    key_id = getattr(getattr(request, "auth", None), "key_id", None)
    if key_id is not None:
        return ActorInfo(Actor.API_KEY, api_key_id=key_id, label=f"API key {key_id}")
    request_user = getattr(request, "user", None)
    if request_user is not None and request_user.is_authenticated:
        return user_actor(request_user)
    return ActorInfo(Actor.SYSTEM)


def _request_details(request: HttpRequest | None) -> dict:
    if request is None:
        return {}
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        "request_id": getattr(request, "request_id", ""),
    }
