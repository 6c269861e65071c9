"""External names: what an ExternalName Service may point at (docs/security.md, "What a route may publish")."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from routes.domain.policy.common import join_quoted, quote
from routes.domain.policy.hosts import host_problem, host_within_suffixes
from routes.domain.values import FORBIDDEN, TeamPolicy, Violation

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


def check_external_name(
    external: object,
    *,
    cluster_namespaces: Iterable[str] = (),
    team: TeamPolicy | None = None,
) -> list[Violation]:
    """What keeps ``external`` from being the target of an ExternalName Service (docs/security.md, "What a route
    may publish"): a violation on ``backend.external_name``, or none.

    Beyond DNS syntax, the name must reach something outside the cluster that no other team owns: not a name in
    the cluster's DNS (``*.svc``, ``*.cluster.local``, ``service.namespace`` forms of ``cluster_namespaces``), not a
    cloud metadata name, not a name that resolves to a loopback, link-local or private address written into it
    (nip.io and the like), and ending in a public top-level domain. An ExternalName is a CNAME resolved by the
    ingress controller, inside the cluster, with the cluster's search domains: such a name would publish another
    team's Service, the API server or the node's metadata on the requester's public host (CVE-2021-25740).

    A team with ``external_domains`` may point only at names under them; a platform engineer listed them, so
    names there may also be in a private zone ("db.corp.internal"). The other rules hold for every team.
    """
    field = "backend.external_name"
    if not isinstance(external, str):
        return [Violation(field, f"External name must be text, not {quote(external)}.")]
    if problem := host_problem(external, wildcard=False):
        return [Violation(field, f"External name {quote(external)} is not a valid DNS name: {problem}.")]
    allowed = team.external_domains if team is not None else ()
    if problem := _external_name_problem(
        external, frozenset(cluster_namespaces) | SYSTEM_NAMESPACES, public_only=not allowed
    ):
        return [Violation(field, f"External name {quote(external)} {problem}.", FORBIDDEN)]
    if allowed and team is not None and not host_within_suffixes(external, allowed):
        return [
            Violation(
                field,
                f'External name {quote(external)} is outside what team "{team.slug}" may point at: use '
                f"{join_quoted(allowed)} or a name under one of them, or ask a platform engineer to add its domain.",
                FORBIDDEN,
            )
        ]
    return []


# Namespaces every cluster has.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

# Cloud metadata endpoints by name (most end in ".internal", which is refused anyway; named for the message).
METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)

# Public DNS services that answer with the address written in the name (127.0.0.1.nip.io, 10-0-0-1.sslip.io,
# 7f000001.nip.io) or always with loopback (lvh.me, localtest.me): any address, whoever owns it.
ADDRESS_ECHO_DOMAINS = ("nip.io", "sslip.io", "xip.io", "traefik.me", "localtest.me", "lvh.me", "vcap.me", "localho.st")

_DASHED_IPV4 = re.compile(r"(?<![0-9])([0-9]{1,3})-([0-9]{1,3})-([0-9]{1,3})-([0-9]{1,3})(?![0-9])")

_PUBLISHES_A_SERVICE = (
    "an ExternalName is resolved inside the cluster, so it would publish that Service on your host. Use a backend "
    "Service in your own namespace instead"
)


def _external_name_problem(name: str, cluster_namespaces: frozenset[str], *, public_only: bool) -> str | None:
    """Why a syntactically valid ``name`` must not be an ExternalName target, phrased to follow the quoted name.
    ``public_only``: the name must also end in a public top-level domain."""
    labels = name.split(".")
    if name == "cluster.local" or name.endswith(".cluster.local"):
        return f'is a name in the cluster\'s own DNS zone ("cluster.local"): {_PUBLISHES_A_SERVICE}'
    if "svc" in labels[2:]:
        return f'names a Service in the cluster\'s DNS ("<service>.<namespace>.svc"): {_PUBLISHES_A_SERVICE}'
    if len(labels) in (2, 3) and labels[-1] in cluster_namespaces:
        what = "Service" if len(labels) == 2 else "a pod of Service"
        return (
            f'reads as {what} "{labels[-2]}" in namespace "{labels[-1]}", which the cluster\'s DNS search '
            f"domains find before any public name: {_PUBLISHES_A_SERVICE}"
        )
    if name in METADATA_HOSTS:
        return "is a cloud metadata endpoint, which hands out the node's credentials; it can never be a route's backend"
    echo = next((d for d in ADDRESS_ECHO_DOMAINS if name == d or name.endswith("." + d)), None)
    if echo is not None:
        return (
            f'is served by "{echo}", which answers with whatever address is written in the name (loopback and '
            "private ones included); use the backend's own DNS name"
        )
    if address := _embedded_private_address(labels):
        return (
            f"has the address {address} written in it, which is not a public address (loopback, private or "
            "link-local); a name that resolves there reaches the cluster's own network, not a host outside"
        )
    return _public_suffix_problem(name, labels) if public_only else None


def _embedded_private_address(labels: list[str]) -> str | None:
    """A non-public IPv4 address written into the name as four labels ("127.0.0.1.x") or with dashes in one
    label ("ip-10-0-0-1.x"), as address-echo DNS services read them; None when there is none."""
    candidates = [".".join(labels[i : i + 4]) for i in range(len(labels) - 3)]
    candidates += [".".join(match) for label in labels for match in _DASHED_IPV4.findall(label)]
    for candidate in candidates:
        try:
            address = ipaddress.IPv4Address(candidate)
        except ValueError:
            continue
        if not address.is_global:
            return str(address)
    return None


def _public_suffix_problem(name: str, labels: list[str]) -> str | None:
    tld = labels[-1]
    if tld == "arpa":
        return 'is under ".arpa", which names addresses and home networks, not hosts on the internet'
    psl = _public_suffixes()
    if psl.publicsuffix(name) is None:
        if tld == "internal":
            return (
                'is under ".internal", which names hosts inside a private network, such as a cloud\'s metadata '
                f"service; {_PUBLIC_NAME_ADVICE}"
            )
        if tld in ("local", "localhost"):
            return f'is under ".{tld}", which never leaves the machine or its network; {_PUBLIC_NAME_ADVICE}'
        return f'does not end in a public top-level domain (".{tld}" is not one); {_PUBLIC_NAME_ADVICE}'
    if psl.is_public(name):
        return f"is a public suffix under which anyone registers names, not a host; {_PUBLIC_NAME_ADVICE}"
    return None


_PUBLIC_NAME_ADVICE = (
    "inside the cluster such a name resolves to whatever the cluster or its network calls so. Use the host's "
    "public DNS name"
)


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The ICANN section of the Public Suffix List shipped with the pinned publicsuffixlist package: the public
    top-level domains (and registries such as co.uk). Unknown TLDs are not public."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)
