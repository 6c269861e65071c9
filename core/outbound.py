"""Outbound requests to addresses users choose (team webhooks): only to public addresses, unless the
PORTICO_ALLOW_PRIVATE_WEBHOOKS setting allows private ones (docs/security.md, "Outbound requests").

A URL's host is resolved and every address it resolves to is checked: loopback, link-local (cloud metadata
at 169.254.169.254), private, shared, reserved, multicast and unspecified addresses are refused. The check runs
when the URL is saved (a field error) and again when each request connects, on the very addresses the socket
then connects to, so a name that resolves elsewhere later (DNS rebinding) is refused as well.
"""

import http
import http.client
import ipaddress
import socket
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


class BlockedAddress(OSError):
    """The target resolves to an address Portico does not send to; the message says which and why."""


def address_kind(address: str) -> str | None:
    """What makes ``address`` a non-public target ("loopback", "link-local", ...), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id ("fe80::1%eth0") names no other host
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    for kind in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"  # e.g. 100.64.0.0/10, shared by carriers' NAT
    return None


def status_text(status: int) -> str:
    """ "404 Not Found": a status and its standard phrase, never the reason text a remote server sent along."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} (non-standard status)"


# One ``getaddrinfo`` result: family, type, proto, canonical name, and the socket address (its shape depends on
# the family).
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


def private_targets_allowed() -> bool:
    allowed: bool = settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS
    return allowed


def resolve_public(host: str, port: int) -> Sequence[AddrInfo]:
    """``getaddrinfo`` results for host:port, after checking every address; raises BlockedAddress (or
    socket.gaierror when the name does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not private_targets_allowed():
        for *_, sockaddr in infos:
            kind = address_kind(str(sockaddr[0]))
            if kind is not None:
                article = "an" if kind[0] in "aeiou" else "a"
                what = (
                    f"is {article} {kind} address"
                    if host.strip("[]") == sockaddr[0]
                    else f"resolves to {sockaddr[0]}, {article} {kind} address"
                )
                raise BlockedAddress(
                    f"{host} {what}; Portico sends webhooks to public addresses only "
                    "(PORTICO_ALLOW_PRIVATE_WEBHOOKS allows private ones)."
                )
    return infos


def url_problem(url: str) -> str | None:
    """Why a webhook URL may not be used (for a field error), or None. Resolves the host now."""
    parts = urlsplit(url)
    if private_targets_allowed() or parts.scheme not in ("http", "https"):
        return None  # other schemes are refused by the URL's own validator
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The URL's port is not valid."
    if not parts.hostname:
        return "The URL has no host."
    try:
        resolve_public(parts.hostname, port)
    except BlockedAddress as exc:
        return str(exc)
    except (OSError, UnicodeError):
        return (
            f"{parts.hostname} does not resolve, so Portico cannot check that it is a public address. "
            "Use a name that resolves, or an address."
        )
    return None


# socket's private "no timeout given" sentinel, which create_connection's callers pass; typeshed omits it.
_DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]


def _connect_public(
    address: tuple[str, int],
    timeout: float | None = _DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
    **kwargs: Any,
) -> socket.socket:
    """``socket.create_connection``, to the addresses just checked (never a second lookup)."""
    host, port = address
    error: OSError | None = None
    for family, type_, proto, _, sockaddr in resolve_public(host, port):
        sock = socket.socket(family, type_, proto)
        try:
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host} has no address")


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_public


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    # Only the TCP connection goes to the checked address; TLS still verifies the certificate for the URL's host.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_public


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        # HTTPSHandler keeps its SSL context in _context (CPython's urllib.request); typeshed does not declare it.
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


def build_opener(
    *handlers: urllib.request.BaseHandler | Callable[[], urllib.request.BaseHandler],
) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections go only to checked addresses, directly: environment proxies are not
    used, since a proxy would connect to an address this check never saw."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _PublicHTTPHandler, _PublicHTTPSHandler, *handlers
    )
