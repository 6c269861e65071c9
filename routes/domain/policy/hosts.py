"""Hosts: the canonical form of a host (IDNA, case, trailing dot), whether it is a usable DNS name, and whether
a team may publish it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import idna

from core.names import label_problem, normalize_host
from routes.domain.decimals import is_decimal
from routes.domain.policy.common import join_quoted, quote
from routes.domain.values import FORBIDDEN, TeamPolicy, Violation

MAX_HOST_LENGTH = 253


_PORT_SUFFIX = re.compile(r":([0-9]+)\Z")

_BRACKETED = re.compile(r"\[([^\]]*)\](?::[0-9]*)?")


def _idna_problem(label: str) -> str | None:
    """Why a label is not an IDNA 2008 name, phrased to follow "the label ...", or None.

    ASCII labels other than "xn--" ones are judged by the DNS rules alone (browsers accept "ab--c");
    an "xn--" label must decode to a valid name and be its canonical punycode.
    """
    if label.isascii() and not label.startswith("xn--"):
        return None
    try:
        if not label.isascii():
            idna.alabel(idna.uts46_remap(label, std3_rules=False, transitional=False))
            return None
        unicode = idna.ulabel(label)
    except (idna.IDNAError, UnicodeError) as exc:
        # idna repeats the label in its messages (" in 'a\u200d'"); the message quotes it already.
        detail = re.sub(r" (in|of) '.*?'", "", str(exc), flags=re.DOTALL)
        detail = "".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in detail)
        if label.isascii():
            return f'starts with "xn--" but is not valid punycode ({detail})'
        return f"is not a valid internationalised name ({detail})"
    if idna.alabel(unicode).decode("ascii") != label:
        return f'starts with "xn--" but is not the punycode browsers use for {quote(unicode)}'
    return None


def host_within_suffixes(host: str, suffixes: Iterable[str]) -> bool:
    """True when ``host`` is one of ``suffixes`` or a name under one of them.

    "shop.example.com" allows itself and "a.shop.example.com", never "evilshop.example.com";
    the wildcard "*.shop.example.com" is within "shop.example.com".
    """
    host = normalize_host(host)
    host = host.removeprefix("*.")
    for suffix in suffixes:
        suffix = normalize_host(suffix)
        if suffix and (host == suffix or host.endswith("." + suffix)):
            return True
    return False


def _is_ip_literal(host: str) -> bool:
    """True for IPv4 or IPv6 addresses, bracketed or not, with or without a port."""
    bracketed = _BRACKETED.fullmatch(host)
    candidates = [bracketed.group(1)] if bracketed else [host, _PORT_SUFFIX.sub("", host)]
    for candidate in candidates:
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            continue
        return True
    return False


def host_problem(host: str, *, wildcard: bool) -> str | None:  # noqa: C901 - one branch per hostname rule
    """Why ``host`` is not a usable DNS name, phrased to follow "is not a valid DNS name:", or None.

    ``wildcard`` accepts "*" as the whole first label; whether the requester may use it is policy, not syntax.
    """
    if "://" in host:
        scheme, _, rest = host.partition("://")
        bare = rest.split("/", 1)[0]
        return f'it must not include a scheme ("{scheme}://"); enter only the host, such as {quote(bare)}'
    if "/" in host:
        return f"it must not include a path ({quote(host[host.index('/') :])})"
    if _is_ip_literal(host):
        return "it is an IP address; enter a DNS name instead"
    port = _PORT_SUFFIX.search(host)
    if port and host.count(":") == 1:
        return f"it must not include a port ({quote(port.group(0))})"
    if len(host) > MAX_HOST_LENGTH:
        return f"it is {len(host)} characters long; the limit is {MAX_HOST_LENGTH}"
    labels = host.split(".")
    if wildcard and labels[0] == "*" and len(labels) > 1:
        labels = labels[1:]
    if wildcard and any("*" in label for label in labels):
        return 'a wildcard "*" may only be the whole first label, as in "*.example.com"'
    if "" in labels:
        return "it contains an empty label (two dots in a row, or a leading dot)"
    for label in labels:
        reason = _idna_problem(label) or label_problem(label)
        if reason:
            return f"the label {quote(label)} {reason}"
    if len(labels) < 2:
        return 'it needs at least two labels, such as "app.example.com"'
    if is_decimal(labels[-1]):
        return f'its last label "{labels[-1]}" is all digits, which makes it look like an IP address'
    return None


def check_host(raw: object, team: TeamPolicy, is_platform: bool) -> list[Violation]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [Violation("host", 'Host is required, such as "app.example.com".')]
    if not isinstance(raw, str):
        return [Violation("host", f"Host must be text, not {quote(raw)}.")]
    host = normalize_host(raw)
    shown = quote(raw.strip())
    problem = host_problem(host, wildcard=True)
    if problem:
        return [Violation("host", f"Host {shown} is not a valid DNS name: {problem}.")]
    violations = []
    if host.startswith("*.") and not is_platform:
        violations.append(
            Violation(
                "host",
                f"Wildcard host {shown} can only be requested by a platform engineer, because it captures every "
                "name under the domain; request each host you need instead.",
                FORBIDDEN,
            )
        )
    if not team.domains:
        violations.append(
            Violation(
                "host",
                f'Team "{team.slug}" has no DNS domains yet; '
                "ask a platform engineer to add one before creating routes.",
                FORBIDDEN,
            )
        )
    elif not host_within_suffixes(host, team.domains):
        violations.append(
            Violation(
                "host",
                f'Host {shown} is outside the domains of team "{team.slug}": use {join_quoted(team.domains)} '
                "or a name under one of them.",
                FORBIDDEN,
            )
        )
    return violations
