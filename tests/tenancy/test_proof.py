"""SQL injection cannot forge the tenant: raw SQL as the runtime role, committed data,
directly and through PgBouncer in transaction mode.

Each test plays an attacker who runs any SQL they like as the runtime role (what an
injection gives): they can set any setting and read their own transaction's proof,
but not other sessions' query text nor the app server's key."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connections

from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.services import invitation_create, organization_create
from tests.support import pgbouncer
from tests.support.database import admin_connection, delete_committed_clinics, prove_tenant, raw_connection
from tests.support.people import add_member, make_user
from tests.tenant_app.models import Ledger

NO_ROWS = []


@pytest.fixture(scope="module")
def clinics(django_db_setup, django_db_blocker):
    """Clinics A and B with a ledger each; A's owner, a staff member of A and an
    outsider. Committed for real, removed afterwards."""
    suffix = uuid.uuid4().hex[:8]

    def create():
        try:
            people = {name: make_user(f"{name}_{suffix}") for name in ("owner", "staff", "outsider", "owner_b")}
            a = organization_create(name="Proof A", slug=f"proof-a-{suffix}", timezone="UTC", owner=people["owner"])
            b = organization_create(name="Proof B", slug=f"proof-b-{suffix}", timezone="UTC", owner=people["owner_b"])
            add_member(a, people["staff"], "staff")
            for org, name in ((a, "A ledger"), (b, "B ledger")):
                with tenant_context(org=org):
                    Ledger.objects.create(name=name)
            with tenant_context(org=a, user=people["owner"]):
                inviter = Membership.objects.get(user=people["owner"])
                invitation_create(email=people["outsider"].email, role="staff", invited_by=inviter)
            return {"A": a.id, "B": b.id, **{name: user.id for name, user in people.items()}}
        finally:
            connections.close_all()

    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        ids = pool.submit(create).result()
    yield ids
    delete_committed_clinics(ids["A"], ids["B"], users=[ids[n] for n in ("owner", "staff", "outsider", "owner_b")])


@pytest.fixture(scope="module")
def bouncer(django_db_setup):
    if not pgbouncer.available():
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer; `make test` does it as root)")
    with pgbouncer.running(pool_size=2) as kwargs:
        yield kwargs


@pytest.fixture(params=["direct", "pgbouncer"])
def connect(request):
    """Open a runtime-role connection, directly or through PgBouncer."""
    if request.param == "direct":
        return raw_connection

    kwargs = request.getfixturevalue("bouncer")

    @contextmanager
    def through_pgbouncer():
        # No prepared statements: a pooled server connection may not have them.
        with psycopg.connect(**kwargs, prepare_threshold=None) as conn:
            yield conn

    return through_pgbouncer


def ledgers(conn) -> list[str]:
    return [name for (name,) in conn.execute("SELECT name FROM tenant_app_ledger ORDER BY name").fetchall()]


def settings_of(conn) -> tuple[str, str, str]:
    return conn.execute(
        "SELECT current_setting('app.org_id', true), current_setting('app.user_id', true), "
        "current_setting('app.context_proof', true)"
    ).fetchone()


def forge(conn, org="", user="", proof="") -> None:
    conn.execute(
        "SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true), "
        "set_config('app.context_proof', %s, true)",
        [str(org), str(user), proof],
    )


def insert_ledger_refused(conn, org_id) -> bool:
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO tenant_app_ledger (id, organization_id, name) VALUES (%s, %s, 'forged')",
                [uuid.uuid4(), org_id],
            )
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_a_proven_context_sees_its_own_clinic(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"])
        assert ledgers(conn) == ["A ledger"]


def test_setting_another_clinics_id_shows_nothing_and_writes_nothing(clinics, connect):
    with connect() as conn, conn.transaction():
        forge(conn, org=clinics["B"])
        assert ledgers(conn) == NO_ROWS
        assert insert_ledger_refused(conn, clinics["B"])


def test_this_transactions_proof_does_not_carry_over_to_another_clinic(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"])
        _, _, proof = settings_of(conn)
        forge(conn, org=clinics["B"], proof=proof)
        assert ledgers(conn) == NO_ROWS
        assert insert_ledger_refused(conn, clinics["B"])


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT query FROM pg_stat_activity WHERE pid = %s",
        "SELECT query FROM pg_stat_get_activity(%s)",
        "SELECT pg_stat_get_backend_activity(b) FROM pg_stat_get_backend_idset() b "
        "WHERE pg_stat_get_backend_pid(b) = %s",
    ],
    ids=["pg_stat_activity", "pg_stat_get_activity", "pg_stat_get_backend_activity"],
)
def test_the_runtime_role_cannot_read_another_sessions_query_text(clinics, connect, statement):
    """PostgreSQL shows a role its own sessions' queries, parameters inlined when bound
    client-side (as Django's psycopg backend does); every request is the runtime role.
    `manage.py db_roles` revokes what shows them from PUBLIC."""
    with connect() as victim, connect() as attacker:
        with victim.transaction():
            prove_tenant(psycopg.ClientCursor(victim), clinics["A"])
            (victim_pid,) = victim.execute("SELECT pg_backend_pid()").fetchone()
            with pytest.raises(psycopg.errors.InsufficientPrivilege), attacker.transaction():
                attacker.execute(statement, [victim_pid])


def test_a_proof_read_from_another_sessions_query_text_is_refused(clinics, connect):
    """An attacker who saw a proof anyway (in a log, say; here read by the superuser
    from pg_stat_activity, which the runtime role may not read) cannot use it: it
    names another backend, or the same pooled backend in a later transaction."""
    with connect() as victim, connect() as attacker:
        with victim.transaction():
            cursor = psycopg.ClientCursor(victim)
            prove_tenant(cursor, clinics["A"])
            (victim_pid,) = victim.execute("SELECT pg_backend_pid()").fetchone()
            cursor.execute("SELECT set_config('app.context_proof', %s, true)", [settings_of(victim)[2]])
            with admin_connection() as admin:
                text = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [victim_pid]).fetchone()[0]
            stolen = re.search(r"[0-9a-f]{64}", text).group(0)
            with attacker.transaction():
                forge(attacker, org=clinics["A"], proof=stolen)
                assert ledgers(attacker) == NO_ROWS
                assert insert_ledger_refused(attacker, clinics["A"])
            assert ledgers(victim) == ["A ledger"]


def test_a_proof_from_an_earlier_transaction_is_refused(clinics, connect):
    with connect() as conn:
        with conn.transaction():
            prove_tenant(conn, clinics["A"])
            (pid,) = conn.execute("SELECT pg_backend_pid()").fetchone()
            earlier = settings_of(conn)
        # Through PgBouncer the next transaction may get another server connection;
        # retry until it is served by the same backend, the case a pid alone can't tell.
        for _ in range(20):
            with conn.transaction():
                if conn.execute("SELECT pg_backend_pid()").fetchone()[0] != pid:
                    continue
                forge(conn, *earlier)
                assert ledgers(conn) == NO_ROWS
                assert insert_ledger_refused(conn, clinics["A"])
                return
        pytest.fail("no transaction was served by the same backend again")


@pytest.mark.parametrize("garble", ["missing", "not hex", "zeros", "upper case", "one digit changed", "too short"])
def test_a_missing_or_garbled_proof_shows_nothing(clinics, connect, garble):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"])
        org, user, proof = settings_of(conn)
        proof = {
            "missing": "",
            "not hex": "z" * 64,
            "zeros": "0" * 64,
            "upper case": proof.upper(),
            "one digit changed": proof[:-1] + ("0" if proof[-1] != "0" else "1"),
            "too short": proof[:32],
        }[garble]
        forge(conn, org=org, user=user, proof=proof)
        assert ledgers(conn) == NO_ROWS
        assert insert_ledger_refused(conn, clinics["A"])


def test_setting_another_users_id_shows_none_of_their_clinics(clinics, connect):
    with connect() as conn, conn.transaction():
        forge(conn, user=clinics["owner"])
        assert conn.execute("SELECT count(*) FROM tenancy_organization").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM tenancy_membership").fetchone()[0] == 0
        prove_tenant(conn, None, clinics["owner"])
        assert conn.execute("SELECT name FROM tenancy_organization").fetchall() == [("Proof A",)]


def test_the_runtime_role_cannot_read_the_key(clinics):
    with raw_connection() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM tenancy_private.context_key")


def test_no_function_the_runtime_role_may_call_takes_a_message_to_sign(clinics):
    """Besides the pre-tenant lookups, the owner's functions it may execute are the
    proof checks: they take no message and return an id or a yes/no, never a proof."""
    with raw_connection() as conn:
        rows = conn.execute(
            """SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)
               FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
                 AND has_function_privilege(p.oid, 'EXECUTE')
                 AND NOT 'app.pre_tenant_lookup=on' = ANY(p.proconfig)"""
        ).fetchall()
    assert {name: (args, result) for name, args, result in rows} == {
        "tenancy_proven_org": ("", "uuid"),
        "tenancy_proven_user": ("", "uuid"),
        "tenancy_may_grant_role": ("target_user uuid, target_role text", "boolean"),
        "tenancy_may_invite": ("target_role text", "boolean"),
        "tenancy_is_proven_users_email": ("address text", "boolean"),
        "tenancy_may_offer_first_owner": ("target_role text", "boolean"),
        "tenancy_proven_grant": ("", "text"),
        "accounts_proven_superuser": ("", "boolean"),
    }


# --- A role in a clinic is granted only by those who may grant it -----------------


def insert_membership(conn, org_id, user_id, role: str) -> bool:
    """True when the database accepts the new membership (rolled back either way)."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(
                "INSERT INTO tenancy_membership (id, organization_id, user_id, role, created_at) "
                "VALUES (%s, %s, %s, %s, now())",
                [uuid.uuid4(), org_id, user_id, role],
            )
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


@pytest.mark.parametrize(
    ("actor", "role", "accepted"),
    [
        ("owner", "owner", True),
        ("owner", "staff", True),
        ("staff", "staff", False),
        ("staff", "owner", False),
        (None, "staff", False),  # an API key or a job: a clinic, no user
        ("outsider", "owner", False),
    ],
)
def test_only_an_owner_or_admin_adds_a_member(clinics, connect, actor, role, accepted):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics[actor] if actor else None)
        assert insert_membership(conn, clinics["A"], clinics["outsider"], role) is accepted


def test_a_staff_member_cannot_promote_themselves(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics["staff"])
        changed = conn.execute(
            "UPDATE tenancy_membership SET role = 'owner' WHERE user_id = %s", [clinics["staff"]]
        ).rowcount
        assert changed == 0
        assert conn.execute(
            "SELECT role FROM tenancy_membership WHERE user_id = %s", [clinics["staff"]]
        ).fetchall() == [("staff",)]


def test_a_clinic_with_members_takes_no_self_appointed_owner(clinics, connect):
    """The onboarding rule (the first member of a clinic may make themselves its
    owner) holds only while the clinic has no member."""
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics["outsider"])
        assert insert_membership(conn, clinics["A"], clinics["outsider"], "owner") is False


def test_a_new_clinic_cannot_be_created_under_another_clinics_proof(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics["staff"])
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(
                "INSERT INTO tenancy_organization (id, name, slug, timezone, created_at) "
                "VALUES (%s, 'Lookalike', %s, 'UTC', now())",
                [uuid.uuid4(), f"lookalike-{uuid.uuid4().hex[:8]}"],
            )


# --- Invitations are offers of a role: the same rule ---------------------------------


def test_a_staff_member_cannot_invite(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics["staff"])
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(
                "INSERT INTO tenancy_invitation (id, organization_id, email, role, token_hash, created_at, expires_at)"
                " VALUES (%s, %s, 'friend@example.test', 'admin', %s, now(), now() + interval '1 day')",
                [uuid.uuid4(), clinics["A"], uuid.uuid4().hex * 2],
            )


def test_the_invitee_cannot_change_the_offer(clinics, connect):
    with connect() as conn, conn.transaction():
        prove_tenant(conn, clinics["A"], clinics["outsider"])
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("UPDATE tenancy_invitation SET role = 'owner'")


def test_the_invitee_joins_with_the_offered_role_once_accepted(clinics, connect):
    with connect() as conn, conn.transaction(force_rollback=True):
        prove_tenant(conn, clinics["A"], clinics["outsider"])
        assert insert_membership(conn, clinics["A"], clinics["outsider"], "staff") is False  # not accepted yet
        accepted = conn.execute(
            "UPDATE tenancy_invitation SET accepted_by_id = %s, accepted_at = now()", [clinics["outsider"]]
        ).rowcount
        assert accepted == 1
        assert insert_membership(conn, clinics["A"], clinics["outsider"], "owner") is False
        assert insert_membership(conn, clinics["A"], clinics["outsider"], "staff") is True


def test_someone_else_cannot_accept_the_invitation(clinics, connect):
    with connect() as conn, conn.transaction(force_rollback=True):
        prove_tenant(conn, clinics["A"], clinics["owner_b"])
        changed = conn.execute(
            "UPDATE tenancy_invitation SET accepted_by_id = %s, accepted_at = now()", [clinics["owner_b"]]
        ).rowcount
        assert changed == 0
        assert insert_membership(conn, clinics["A"], clinics["owner_b"], "staff") is False
