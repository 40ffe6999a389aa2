"""The soak's data, built in a process of its own (the database it builds is chosen by
the environment): clinics with staff users and API keys, and every tenant row's
clinic, read as the audit role, so each response can be checked id by id.

    DATABASE_NAME=clinic_soak python -m bench.soak.data world --clinics 20 --out world.json
    DATABASE_NAME=clinic_soak_sms python -m bench.soak.data texts --appointments 500 --out texts.json

--webhooks URL (world): each clinic also gets an endpoint, URL/<clinic number>, subscribed
to every event; its secret is in the output, for a receiver that checks signatures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

PASSWORD = "soak-Password-not-secret-1"  # noqa: S105 (throwaway accounts on a throwaway database)
# The tables whose rows belong to one clinic each: an `id` and an `organization_id`.
TENANT_TABLES = (
    "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.columns i "
    "ON i.table_name = c.table_name AND i.table_schema = c.table_schema AND i.column_name = 'id' "
    "WHERE c.column_name = 'organization_id' AND c.table_schema = 'public'"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["world", "texts"])
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--switchers", type=int, default=10)
    parser.add_argument("--appointments", type=int, default=500)
    parser.add_argument("--webhooks", default="", help="a receiver's base URL (world)")
    parser.add_argument("--out")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if args.webhooks:
        os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "true"  # the receiver is on loopback
    import django

    django.setup()
    from bench.database import rebuild_database

    rebuild_database()
    if args.what == "world":
        result = world(args.clinics, args.switchers, webhooks=args.webhooks)
    else:
        result = texts(args.clinics, args.appointments)
    result["server"] = _server()
    with open(args.out, "w") as out:
        json.dump(result, out)


def _server() -> dict:
    from django.conf import settings

    server = settings.DATABASE_SERVER
    return {
        "host": server.host,
        "port": server.port,
        "name": server.name,
        "admin_user": server.admin_user,
        "options": dict(server.options),  # e.g. target_session_attrs, with several hosts
    }


def world(clinic_count: int, switcher_count: int, *, webhooks: str = "") -> dict:
    """Clinics (bench.generate's data, smaller) each with two staff users, a
    read/write API key and an SMS sender number (texts off: nothing is due, but
    inbound texts find the clinic), and with `webhooks`, an endpoint there;
    `switcher_count` users who are staff of two clinics."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from bench.generate import generate
    from clinic.api.services import api_key_create
    from clinic.api.webhooks.services import webhook_endpoint_create
    from clinic.messaging.services import sms_settings_save
    from clinic.messaging.webhook_auth import signing_token
    from tenancy.context import tenant_context
    from tenancy.models import Membership
    from tenancy.services import membership_add

    orgs = generate(clinics=clinic_count, providers=3, patients=60, days=6)
    password = make_password(PASSWORD)  # hashed once: the hasher is slow on purpose
    users = get_user_model().objects
    clinics = []
    for number, org in enumerate(orgs):
        with tenant_context(org=org):
            owner = Membership.objects.get(role=Membership.Role.OWNER)
        with tenant_context(org=org, user=owner.user):
            staff = []
            for index in range(2):
                user = users.create(
                    username=f"soak-{number}-{index}", email=f"soak{number}.{index}@example.test", password=password
                )
                membership_add(user=user, role="staff", added_by=owner)
                staff.append(user.username)
            _, key = api_key_create(name="Soak")
            # Not among bench.generate's patient phones (+1202555…).
            sender = sms_settings_save(sender_number=f"+1303555{number:04d}").sender_number
            endpoint = {}
            if webhooks:
                _, secret = webhook_endpoint_create(url=f"{webhooks}/{number}", created_by=owner.user)
                endpoint = {"webhook_path": f"/{number}", "webhook_secret": secret}
        clinics.append({"id": str(org.id), "name": org.name, "staff": staff, "key": key, "sender": sender, **endpoint})
    switchers = []
    for number in range(switcher_count):
        first, second = orgs[number % len(orgs)], orgs[(number + 1) % len(orgs)]
        user = users.create(username=f"soak-switch-{number}", email=f"switch{number}@example.test", password=password)
        memberships = {}
        for org in (first, second):
            with tenant_context(org=org):
                owner = Membership.objects.get(role=Membership.Role.OWNER)
            with tenant_context(org=org, user=owner.user):
                memberships[str(org.id)] = str(membership_add(user=user, role="staff", added_by=owner).id)
        switchers.append({"username": user.username, "memberships": memberships})
    return {
        "password": PASSWORD,
        "clinics": clinics,
        "switchers": switchers,
        # The soak's app runs with these settings: the key it checks webhooks with (from
        # SECRET_KEY) and the largest body it accepts.
        "sms_signing_token": signing_token(),
        "body_limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        **_owners(),
    }


def _owners() -> dict:
    """Every row id of every clinic: tenant rows (shown only in their own clinic), and
    clinics and memberships (a user sees those of the clinics they belong to)."""
    from django.db import connections

    tenant, personal = {}, {}
    with connections["audit"].cursor() as cursor:
        cursor.execute(TENANT_TABLES)
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'SELECT id::text, organization_id::text FROM "{table}"')  # noqa: S608 (catalog names)
            target = personal if table in ("tenancy_membership", "tenancy_invitation") else tenant
            target.update(dict(cursor.fetchall()))
        cursor.execute("SELECT id::text, id::text FROM tenancy_organization")
        personal.update(dict(cursor.fetchall()))
    return {"tenant_owner": tenant, "personal_owner": personal, "by_kind": _ids_by_kind()}


def _ids_by_kind() -> dict:
    """Per clinic: ids to request and to book with."""
    from django.db import connections

    kinds = {
        "patients": "appointments_patient",
        "providers": "appointments_provider",
        "types": "appointments_appointmenttype",
        "appointments": "appointments_appointment",
    }
    result: dict[str, dict[str, list[str]]] = {}
    with connections["audit"].cursor() as cursor:
        for kind, table in kinds.items():
            # A sample is enough to request; all patients, providers and types to book with.
            cursor.execute(
                f"SELECT organization_id::text, (array_agg(id::text))[1:60] FROM {table} GROUP BY 1"  # noqa: S608
            )
            for org, ids in cursor.fetchall():
                result.setdefault(org, {})[kind] = ids
    return result


def texts(clinic_count: int, appointments: int) -> dict:
    """`appointments` appointments an hour from now, each with a confirmation text due
    now (bench.sms_worker's data), and one dispatch job per clinic deferred."""
    from bench.sms_worker import _book
    from clinic.messaging.tasks import dispatch_clinic

    clinics = _book("soak", clinic_count, appointments, first_number=500)
    for org_id in clinics:
        dispatch_clinic.defer(organization_id=str(org_id))
    return {"clinics": [str(org_id) for org_id in clinics]}


if __name__ == "__main__":
    sys.exit(main())
