"""The one rule for every URL the service calls out to: webhooks and the speech upstream.

A URL a tenant (or an operator) gives us must not make the service call into its own
network: the host is resolved and every address it resolves to must be public. Refused:
loopback, private (RFC 1918, unique-local), link-local, multicast, shared (CGNAT), reserved
and unspecified addresses, and the cloud metadata endpoints. Integer and hex forms of an
address (`0x7f000001`) resolve to what they mean, so they meet the same rule; an IPv4 address
inside IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address.

The check happens when a URL is registered and again before each call, and the call connects
to the address that was checked (a :class:`Target`), so a name that resolves to a public
address at registration and to 127.0.0.1 later (DNS rebinding) is refused the second time.

https is required in the cloud; the local runtime may use http. Loopback is allowed only when
`AUDIOFN_WEBHOOK_ALLOW_LOOPBACK=true` (off by default; the template never sets it), so a
receiver on the developer's machine can be used locally and in tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure instance metadata
        "169.254.170.2",  # ECS task credentials
        "fd00:ec2::254",  # AWS metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(ValueError):
    """The URL may not be called; the message names the rule it breaks."""


def address_refusal(address: IpAddress) -> str | None:
    """Why the service may not connect to this address, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private or address.is_reserved or not address.is_global:
        return "a private or reserved address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (IP literals and their integer forms included)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to; send `host_header` and use `host` for TLS."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the name (for httpx; pass
        `headers={"Host": host_header}` and `extensions={"sni_hostname": host}` with it)."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"


@dataclass(frozen=True)
class OutboundPolicy:
    allow_loopback: bool = False
    require_https: bool = True
    resolve: Callable[[str, int], list[str]] | None = None
    """Defaults to `resolve_host` (looked up at call time, so tests can stand in for DNS)."""

    def check(self, url: str) -> Target:
        """The target to connect to, or OutboundRefused naming the rule the URL breaks."""
        if len(url) > MAX_URL_LENGTH:
            raise OutboundRefused(f"url is longer than {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise OutboundRefused(f"url is not a valid URL: {exc}") from exc
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OutboundRefused("url must be an absolute https:// URL")
        if parts.username is not None or parts.password is not None:
            raise OutboundRefused("url must not carry a user name or password")
        host = parts.hostname
        port = port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [
                ipaddress.ip_address(a.split("%")[0])
                for a in (self.resolve or resolve_host)(host, port)
            ]
        except (OSError, UnicodeError, ValueError) as exc:
            raise OutboundRefused(f"url: the host {host!r} does not resolve") from exc
        if not addresses:
            raise OutboundRefused(f"url: the host {host!r} does not resolve")
        loopback_only = all(address_refusal(a) == "a loopback address" for a in addresses)
        if not (self.allow_loopback and loopback_only):
            for address in addresses:
                reason = address_refusal(address)
                if reason is not None:
                    raise OutboundRefused(
                        f"url must point to a public address: {host} resolves to {address}, "
                        f"{reason}"
                    )
        if parts.scheme != "https" and self.require_https and not loopback_only:
            raise OutboundRefused("url must use https://")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(parts.scheme, host, port, str(addresses[0]), path)


def outbound_policy() -> OutboundPolicy:
    """The deployment's policy: https in the cloud, loopback only where the setting allows."""
    from audiofn.config import outbound_settings

    settings = outbound_settings()
    return OutboundPolicy(allow_loopback=settings.allow_loopback, require_https=not settings.local)
