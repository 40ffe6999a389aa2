"""The IPv4 addresses hidden inside IPv6 ones (clinic.core.outbound's address check).

A host may resolve to an IPv6 address that a translator, a tunnel or the kernel
itself turns into an IPv4 one on the way: `64:ff9b::a9fe:a9fe` reaches the cloud
metadata service at 169.254.169.254 through a NAT64 gateway, `::ffff:127.0.0.1` is
loopback to a dual-stack socket. Python's `is_global` judges the IPv6 prefix, not
the IPv4 address inside it, so the check must look at the embedded one. The forms:

| form | prefix | where the IPv4 address is |
|---|---|---|
| IPv4-mapped (RFC 4291) | `::ffff:0:0/96` | the last 32 bits |
| IPv4-translated (RFC 2765) | `::ffff:0:0:0/96` | the last 32 bits |
| IPv4-compatible (RFC 4291, deprecated) | `::/96` | the last 32 bits |
| NAT64 well-known prefix (RFC 6052) | `64:ff9b::/96` | the last 32 bits |
| NAT64 local-use prefix (RFC 8215) | `64:ff9b:1::/48` | bits 48–63 and 72–87 (RFC 6052 §2.2; bits 64–71 are zero) |
| 6to4 (RFC 3056) | `2002::/16` | bits 16–47 |
| Teredo (RFC 4380) | `2001::/32` | the server in bits 32–63, the client in the last 32 bits inverted |
"""

from __future__ import annotations

import ipaddress

_LAST_32 = 0xFFFFFFFF
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses `ip` carries (Teredo carries two: its server and its
    client); empty for an IPv6 address that embeds none."""
    value = int(ip)
    upper_96 = value >> 32
    last_32 = ipaddress.IPv4Address(value & _LAST_32)
    if upper_96 == 0xFFFF:  # IPv4-mapped
        return [last_32]
    if upper_96 == 0xFFFF0000:  # IPv4-translated
        return [last_32]
    if upper_96 == 0:  # IPv4-compatible; also :: and ::1, which are 0.0.0.0 and 0.0.0.1
        return [last_32]
    if ip in _NAT64_WELL_KNOWN:
        return [last_32]
    if ip in _NAT64_LOCAL_USE:
        packed = ip.packed
        return [ipaddress.IPv4Address(packed[6:8] + packed[9:11])]
    if ip in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address(ip.packed[2:6])]
    if ip in _TEREDO:
        server = ipaddress.IPv4Address(ip.packed[4:8])
        client = ipaddress.IPv4Address(~value & _LAST_32)
        return [server, client]
    return []
