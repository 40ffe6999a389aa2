"""HAProxy in front of app nodes on this machine: round robin, no stickiness (sessions
live in the database, so any node serves any request), each node health-checked on
/healthz, and every response naming the node that served it (`X-Clinic-Node`).

    python3 scripts/ha/balancer.py config 8010 node1=8011 node2=8012 > haproxy.cfg

HAProxy runs in the foreground (`haproxy -db -f FILE`), one line per request on its
standard output, which names the node that served it.

A node is taken out after three failed checks in a row, a check failing when the
connection is refused or no answer comes within 5 s: a node slow under load (its
threads all busy, its /healthz waiting its turn) stays in; a node whose process is
gone is out within three check intervals.

/healthz, not /readyz: a node is taken out when its process stops answering. When the
database has no primary (a failover), every node answers 503 with Retry-After on its
own, which is more use to a client than HAProxy's own 503 with no node left.

A request whose connection to a node is refused (the node just died, before its
health check noticed) is sent to the other node: `retry-on conn-failure` with
`option redispatch`. Only a connection that never reached a node is retried, so a
write is never sent twice (a request a node dies while answering gets no answer,
rather than a second run on the other node). Each request has a node connection of
its own (`option http-server-close`; the client's stays open): a kept node
connection that the node closes as idle just as a request is sent on it would leave
that request unanswered. The client's address goes to the nodes in X-Forwarded-For;
they trust it only with BEHIND_TLS_PROXY (clinic/settings.py).

Standard library only: `make ha` runs it before the virtualenv matters."""

from __future__ import annotations

import shutil
import sys

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
NODE_HEADER = "X-Clinic-Node"


def config(listen_port: int, nodes: dict[str, int], *, check_interval_ms: int = 1000) -> str:
    """An HAProxy configuration: :`listen_port` on loopback to `nodes` (name -> port)."""
    servers = "".join(
        f"    server {name} 127.0.0.1:{port} check inter {check_interval_ms} fall 3 rise 1\n"
        for name, port in nodes.items()
    )
    return (
        "global\n"
        "    maxconn 512\n"
        "    log stdout format raw local0\n"
        "\n"
        "defaults\n"
        "    mode http\n"
        "    log global\n"
        "    option httplog\n"
        "    option forwardfor\n"
        "    option http-server-close\n"
        "    timeout connect 2s\n"
        "    timeout client 60s\n"
        "    timeout server 60s\n"
        "    timeout check 5s\n"
        "    retries 2\n"
        "    retry-on conn-failure\n"
        "    option redispatch 1\n"
        "\n"
        "frontend clinic\n"
        f"    bind 127.0.0.1:{listen_port}\n"
        "    default_backend app_nodes\n"
        "\n"
        "backend app_nodes\n"
        "    balance roundrobin\n"
        "    option httpchk\n"
        "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1\n"
        "    http-check expect status 200\n"
        f"    http-response set-header {NODE_HEADER} %[srv_name]\n"
        f"{servers}"
    )


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[1] != "config":
        raise SystemExit(__doc__)
    nodes = {}
    for argument in sys.argv[3:]:
        name, _, port = argument.partition("=")
        if not name or not port.isdigit():
            raise SystemExit(f"a node is NAME=PORT, not {argument!r}")
        nodes[name] = int(port)
    sys.stdout.write(config(int(sys.argv[2]), nodes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
