"""Webhook URLs must not reach the city's own network (server-side request forgery guard).

An integrator chooses where the gateway POSTs; without a guard it could make the gateway call
``http://169.254.169.254/`` (cloud metadata), ``http://127.0.0.1:8101/`` (an agency service behind
the gateway) or anything on the private network. So a webhook URL is refused unless:

* its scheme is ``https`` (``http`` too when private targets are allowed, for development);
* it has a host and no ``user:password@`` part;
* EVERY address its host resolves to is public: not loopback, private (10/8, 172.16/12,
  192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared/CGNAT (100.64/10),
  unspecified, multicast, reserved/broadcast, documentation or benchmark ranges. IPv4 addresses
  embedded in IPv6 (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64 ``64:ff9b::/96``) are checked as the
  IPv4 address they carry. Legacy IPv4 spellings (``2130706433``, ``0x7f000001``, ``0177.1``) are
  read as ``inet_aton`` (and so getaddrinfo) reads them.

One private address among public ones refuses the URL: an attacker's DNS answer may mix them.
The check runs when an endpoint is created or its URL changed, and again before every send
(:func:`resolve_public` returns the addresses to connect to, so the delivery worker can pin the
connection to what was checked - a second DNS answer cannot rebind the name to 127.0.0.1).

Tests inject a resolver (no real DNS): ``runtime.extras[RESOLVER_KEY] = resolver``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cimahi_shared.errors import InvalidInput

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``await resolver(host, port)`` -> the addresses (text) ``host`` resolves to."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVER_KEY = "webhook_resolver"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def resolver_of(runtime: Any) -> Resolver | None:
    """The resolver a runtime was given for tests (``None``: the system's)."""
    found = getattr(runtime, "extras", {}).get(RESOLVER_KEY)
    return found if callable(found) else None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` by the system's resolver (``getaddrinfo``, not blocking)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def refused(message: str) -> InvalidInput:
    """The 422 naming the ``url`` field."""
    return InvalidInput(f"Invalid: url ({message})", errors=[{"field": "url", "message": message}])


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether an address is a public unicast address of the internet."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None and not is_public(inner):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one, in any spelling getaddrinfo accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # 2130706433, 0x7f000001, 0177.0.0.1, 127.1 ...
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _parse(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts after the checks that need no DNS."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise refused(f"not a valid URL ({exc})") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise refused("must be an https:// URL")
    if "@" in parts.netloc:
        raise refused("must not carry a user name or password")
    if not parts.hostname:
        raise refused("must name a host")
    if port == 0:
        raise refused("port 0 is not a port")
    return parts


async def resolve_public(
    url: str, *, allow_private: bool, resolver: Resolver | None = None
) -> list[str]:
    """The addresses to connect to for ``url``, every one checked (422 naming ``url`` if not)."""
    parts = _parse(url, allow_private=allow_private)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        found = await _resolve(host, port, resolver or system_resolver)
    if not allow_private:
        for address in found:
            if not is_public(address):
                raise refused(f"{host} is (or resolves to) a non-public address")
    return list(dict.fromkeys(str(a) for a in found))


async def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Resolve a name; no answer, or an answer that is not an address, refuses the URL."""
    try:
        answers = await resolver(host.rstrip("."), port)
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    except (OSError, UnicodeError, ValueError):
        raise refused(f"the host {host} does not resolve") from None
    if not found:
        raise refused(f"the host {host} does not resolve")
    return found


async def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Refuse (422 naming ``url``) a webhook URL that is malformed or reaches a non-public host."""
    await resolve_public(url, allow_private=allow_private, resolver=resolver)
