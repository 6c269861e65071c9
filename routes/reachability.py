"""Is the route reachable from where Portico runs? DNS -> TLS -> HTTP, each hop timed (docs/reachability.md).

Run by the worker after a route is applied and on a schedule (routes.tasks), from the worker's network:

1. DNS: the route's host resolves (``PORTICO_REACHABILITY_RESOLVE`` maps names to addresses, like curl's
   ``--resolve``, for tests, the demo and split-horizon setups), and to the address the Ingress (or Gateway)
   reports, when it reports one.
2. TLS (routes with TLS): a handshake with the host as SNI presents a certificate that is valid for the host,
   chains to a trusted CA (the system's, plus ``PORTICO_REACHABILITY_CA_FILE``) and has not expired; the days
   left are kept.
3. HTTP: a GET of the route's path gets an answer from the backend, not an error from the ingress controller.

Targets go through the outbound guard (core outbound rules, docs/security.md): an address that is loopback,
private, link-local and so on is not contacted unless ``PORTICO_REACHABILITY_ALLOW_PRIVATE`` is on or the
cluster's own API server is at such an address (a cluster on a private network serves private addresses).
Every step has a timeout (``PORTICO_REACHABILITY_TIMEOUT``). Remote bodies are never kept or shown: only the
status code, the certificate's names and dates, and how long each hop took.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from core.outbound import address_kind, status_text

from .adapters import revision_spec
from .progress import record_reachability
from .reachability_certificates import describe, served_certificate, verify_failure

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
_RANK = {OK: 0, SKIP: 0, WARN: 1, FAIL: 2}


@dataclass
class Hop:
    hop: str  # dns, tls, http
    title: str
    state: str  # ok, warn, fail, skip
    detail: str
    ms: float | None = None  # how long the hop took, in milliseconds (None: not attempted)


@dataclass
class Result:
    checked_at: str
    state: str
    summary: str
    hops: list[Hop] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    certificate: dict = field(default_factory=dict)  # names, issuer, not_after, days_left (when one was served)
    http_status: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    """What to check: everything comes from the route and its cluster, read by ``target_for``."""

    host: str
    path: str
    tls: bool
    lb_address: str  # what the Ingress/Gateway reports ("" when it reports nothing yet)
    private_allowed: bool


def resolve_overrides() -> dict[str, str]:
    """``PORTICO_REACHABILITY_RESOLVE`` as {host: address}: "host=address" or "host:address" entries separated by
    commas; a host "*.example.com" covers every name one label under example.com."""
    overrides: dict[str, str] = {}
    for entry in settings.PORTICO_REACHABILITY_RESOLVE:
        entry = entry.strip()
        if not entry:
            continue
        sep = "=" if "=" in entry else ":"
        host, _, address = entry.partition(sep)
        overrides[host.strip().lower().rstrip(".")] = address.strip().strip("[]")
    return overrides


# getaddrinfo takes no timeout, and a resolver that does not answer would hold the worker's thread for as long as
# the system's resolver retries (30 s and more): it runs here, and the check waits at most its timeout for it.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="portico-dns")


def resolve(host: str, timeout: float | None = None) -> list[str]:
    """The addresses ``host`` resolves to, overrides first; raises socket.gaierror when it does not resolve and
    TimeoutError when the resolver has not answered within ``timeout`` seconds."""
    overrides = resolve_overrides()
    host = host.lower().rstrip(".")
    if host in overrides:
        return [overrides[host]]
    wildcard = "*." + host.split(".", 1)[1] if "." in host else None
    if wildcard in overrides:
        return [overrides[wildcard]]
    answer = _resolver.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    try:
        infos = answer.result(timeout=timeout)
    except FutureTimeout:
        raise TimeoutError(f"{host} did not resolve within {timeout:g} s") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def cluster_is_private(cluster) -> bool:
    """Whether the cluster's API server is at a private, loopback or otherwise non-public address."""
    try:
        server = cluster.get_kubeconfig()["clusters"][0]["cluster"]["server"]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return False
    host = urlsplit(server).hostname or ""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolve(host, settings.PORTICO_REACHABILITY_TIMEOUT)
        except (OSError, UnicodeError):
            return False
    return any(address_kind(address) is not None for address in addresses)


def target_for(route) -> Target:
    spec = revision_spec(route.revision_obj(route.applied_revision or route.revision))
    private_allowed = settings.PORTICO_REACHABILITY_ALLOW_PRIVATE or cluster_is_private(route.cluster)
    return Target(
        host=spec.host,
        path=spec.path or "/",
        tls=spec.tls.mode != "none",
        lb_address=route.address or "",
        private_allowed=private_allowed,
    )


def check(target: Target) -> Result:
    """Run the hops in order; a hop that fails stops the ones after it that need it."""
    hops: list[Hop] = []
    result = Result(checked_at=timezone.now().isoformat(), state=OK, summary="", hops=hops)
    timeout = settings.PORTICO_REACHABILITY_TIMEOUT

    # DNS
    started = time.monotonic()
    try:
        addresses = resolve(target.host, timeout)
    except TimeoutError:
        hops.append(
            Hop(
                "dns",
                "DNS",
                FAIL,
                f"The DNS resolver did not answer for {target.host} within {timeout:g} s "
                "(PORTICO_REACHABILITY_TIMEOUT). Check the resolver Portico's workers use; the check runs again later.",
                _ms(started),
            )
        )
        return _finish(result, target)
    except (OSError, UnicodeError):
        hops.append(
            Hop(
                "dns",
                "DNS",
                FAIL,
                f"{target.host} does not resolve from Portico's network. Create a DNS "
                f"record for it pointing at the ingress controller's address"
                f"{' (' + target.lb_address + ')' if target.lb_address else ''}.",
                _ms(started),
            )
        )
        return _finish(result, target)
    result.addresses = addresses
    expected = _expected_addresses(target.lb_address)
    if expected and not set(addresses) & expected:
        hops.append(
            Hop(
                "dns",
                "DNS",
                FAIL,
                f"DNS for {target.host} points at {', '.join(addresses)}, the ingress controller's address is "
                f"{target.lb_address}. Point the record at {target.lb_address}.",
                _ms(started),
            )
        )
        return _finish(result, target)
    detail = f"{target.host} resolves to {', '.join(addresses)}"
    detail += (
        ", the ingress controller's address."
        if expected
        else " (the ingress controller reports no address yet to compare with)."
    )
    hops.append(Hop("dns", "DNS", OK if expected else WARN, detail, _ms(started)))

    address = addresses[0]
    kind = address_kind(address)
    if kind is not None and not target.private_allowed:
        hops.append(
            Hop(
                "guard",
                "Allowed target",
                SKIP,
                f"{target.host} resolves to {address}, a {kind} address, which Portico does not contact "
                "(PORTICO_REACHABILITY_ALLOW_PRIVATE allows it; it is allowed on its own when the cluster's "
                "API server is at a private address).",
            )
        )
        return _finish(result, target)

    port = settings.PORTICO_REACHABILITY_HTTPS_PORT if target.tls else settings.PORTICO_REACHABILITY_HTTP_PORT
    context = None
    if target.tls:
        context, verified = _tls_hop(target, address, port, timeout, hops, result)
        if context is None:
            return _finish(result, target)
        if not verified:  # go on unverified, to say whether the backend answers at all
            context = ssl._create_unverified_context()
    _http_hop(target, address, port, context, timeout, hops, result)
    return _finish(result, target)


def _tls_hop(target: Target, address: str, port: int, timeout: float, hops: list[Hop], result: Result):
    started = time.monotonic()
    context = ssl.create_default_context()
    if settings.PORTICO_REACHABILITY_CA_FILE and os.path.exists(settings.PORTICO_REACHABILITY_CA_FILE):
        context.load_verify_locations(cafile=settings.PORTICO_REACHABILITY_CA_FILE)
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=target.host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        elapsed = _ms(started)
        der = served_certificate(address, port, target.host, timeout)
        result.certificate = describe(der) if der else {}
        hops.append(Hop("tls", "TLS certificate", FAIL, verify_failure(target.host, exc, result.certificate), elapsed))
        return ssl.create_default_context(), False
    except (OSError, ssl.SSLError) as exc:
        hops.append(
            Hop(
                "tls",
                "TLS certificate",
                FAIL,
                f"No TLS handshake with {address}:{port} for {target.host}: {_reason(exc)}.",
                _ms(started),
            )
        )
        return None, False
    elapsed = _ms(started)
    result.certificate = describe(der)
    days = result.certificate.get("days_left")
    state = WARN if days is not None and days < 14 else OK
    hops.append(
        Hop(
            "tls",
            "TLS certificate",
            state,
            f"{address}:{port} presents a valid certificate for {target.host}, issued by "
            f"{result.certificate.get('issuer') or 'an unnamed issuer'}, {days} days left.",
            elapsed,
        )
    )
    return context, True


def _http_hop(target: Target, address: str, port: int, context, timeout: float, hops: list[Hop], result: Result):
    started = time.monotonic()
    connection = _Pinned(target.host, port, address, context, timeout)
    try:
        connection.request("GET", target.path, headers={"User-Agent": "portico-reachability"})
        response = connection.getresponse()
        response.read(1024)  # read a little so the connection ends cleanly; never kept
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        hops.append(
            Hop(
                "http",
                "HTTP answer",
                FAIL,
                f"GET {target.path} for {target.host} got no HTTP answer: {_reason(exc)}.",
                _ms(started),
            )
        )
        return
    finally:
        connection.close()
    elapsed = _ms(started)
    result.http_status = status
    said = status_text(status)
    if status == 404:
        state, detail = (
            FAIL,
            (
                f"The ingress controller answered {said} for {target.host}{target.path}: it has no "
                "route for this host and path, or the backend itself answers 404."
            ),
        )
    elif status in (502, 504):
        state, detail = (
            FAIL,
            (
                f"The ingress controller answered {said}: it could not reach the backend. Check that "
                "the Service's targetPort is the port your pods listen on and that no NetworkPolicy "
                "blocks the ingress controller."
            ),
        )
    elif status == 503:
        state, detail = (
            FAIL,
            (
                f"The ingress controller answered {said}: no ready endpoint serves the Service's "
                "port. Check the pods are ready and that the Service's targetPort names a port the "
                "pods declare."
            ),
        )
    elif status >= 500:
        state, detail = WARN, f"The backend answered {said} to GET {target.path}."
    else:
        state, detail = OK, f"The backend answered {said} to GET {target.path}."
    hops.append(Hop("http", "HTTP answer", state, detail, elapsed))


class _Pinned(http.client.HTTPSConnection):
    """HTTP(S) to ``address`` with ``host`` as SNI and Host header (curl --resolve)."""

    def __init__(self, host: str, port: int, address: str, context: ssl.SSLContext | None, timeout: float):
        super().__init__(host, port, context=context or ssl.create_default_context(), timeout=timeout)
        self._address = address
        self._tls_context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        tls = self._tls_context
        self.sock = tls.wrap_socket(sock, server_hostname=self.host) if tls is not None else sock


def _expected_addresses(lb_address: str) -> set[str]:
    if not lb_address:
        return set()
    try:
        return {str(ipaddress.ip_address(lb_address))}
    except ValueError:
        try:
            return set(
                resolve(lb_address, settings.PORTICO_REACHABILITY_TIMEOUT)
            )  # a load balancer's hostname (AWS, ...)
        except (OSError, UnicodeError):
            return {lb_address}


def _finish(result: Result, target: Target) -> Result:
    state = max((hop.state for hop in result.hops), key=lambda s: _RANK[s], default=SKIP)
    if any(hop.state == SKIP for hop in result.hops) and state == OK:
        state = SKIP
    result.state = state
    failing = [hop for hop in result.hops if hop.state in (FAIL, WARN)]
    if state == OK:
        timing = " -> ".join(f"{hop.title} {hop.ms:.0f} ms" for hop in result.hops if hop.ms is not None)
        result.summary = (
            f"https://{target.host}{target.path} answers ({timing})."
            if target.tls
            else f"http://{target.host}{target.path} answers ({timing})."
        )
    elif state == SKIP:
        result.summary = next(hop.detail for hop in result.hops if hop.state == SKIP)
    else:
        result.summary = failing[0].detail
    return result


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text)


def run(route_id) -> dict | None:
    """Check one applied route on a Kubernetes cluster and store the result on it (``Route.reachability``)."""
    from .models import Route

    route = (
        Route.objects.select_related("cluster")
        .filter(
            pk=route_id, deleted_at__isnull=True, deletion_requested_at__isnull=True, applied_revision__isnull=False
        )
        .first()
    )
    if route is None or route.cluster.is_directory:
        return None
    result = check(target_for(route)).as_dict()
    record_reachability(route, result)
    return result
