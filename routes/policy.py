"""Route validation, team policy and conflict checks: plain values in, violations out.

The form, the API and the worker all call these functions, so a route is judged the same way
wherever it comes from. Nothing here touches the ORM, the network or Django: callers gather the
team's policy, the other live routes, the host claims and the foreign Ingresses, and pass them in.
Every broken rule becomes a ``Violation`` on a dotted field path with a message a developer can
act on; malformed input of any shape yields violations, never an exception.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from urllib.parse import unquote

import idna

from routes.spec import (
    BACKEND_EXISTING,
    BACKEND_EXTERNAL,
    BACKEND_MANAGED,
    OUTPUT_GATEWAY,
    OUTPUT_INGRESS,
    PATH_TYPES,
    SERVICE_TYPES,
    TLS,
    TLS_MODES,
    Backend,
    ExistingRoute,
    ForeignIngressPath,
    OwnedObject,
    RouteSpec,
    TeamPolicy,
    Violation,
)

# Violation codes: the API answers 400 for invalid and forbidden, 409 for conflict.
INVALID = "invalid"
FORBIDDEN = "forbidden"
CONFLICT = "conflict"

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
MAX_PATH_LENGTH = 1024
MAX_PORT_NAME_LENGTH = 15
MAX_DECIMAL_LENGTH = 100

_LABEL_CHARS = re.compile(r"[a-z0-9-]+")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CLUSTER_NAME = re.compile(r"[-a-zA-Z0-9_]+")
_DIGITS = re.compile(r"[0-9]+")
_PORT_SUFFIX = re.compile(r":([0-9]+)\Z")
_BRACKETED = re.compile(r"\[([^\]]*)\](?::[0-9]*)?")
# Characters that make a Prefix/Exact path look like a regular expression; "?" is reported as a query.
_REGEX_CHARS = "^$*+()[]{}|\\"
# Full stops that IDNA treats as label separators, so "shop。example.com" means "shop.example.com".
_IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

LABEL_RULE = 'use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit'
SERVICE_NAME_RULE = (
    'use at most 63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit'
)
SUBDOMAIN_RULE = 'use at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit'
PORT_RULE = (
    "use a number from 1 to 65535, or a port name of at most 15 lower-case letters, digits and \"-\" "
    'with at least one letter and no leading, trailing or double "-"'
)


def is_dns1123_label(value: str) -> bool:
    """True for a Kubernetes object name such as a namespace or route name ("cart-api")."""
    return isinstance(value, str) and len(value) <= MAX_LABEL_LENGTH and bool(_DNS1123_LABEL.fullmatch(value))


def is_dns1035_label(value: str) -> bool:
    """True for a Service name: a DNS-1123 label that starts with a letter."""
    return isinstance(value, str) and len(value) <= MAX_LABEL_LENGTH and bool(_DNS1035_LABEL.fullmatch(value))


def is_dns1123_subdomain(value: str) -> bool:
    """True for a Kubernetes name that may contain dots, such as a Secret or ClusterIssuer name."""
    return isinstance(value, str) and len(value) <= MAX_HOST_LENGTH and bool(_DNS1123_SUBDOMAIN.fullmatch(value))


def is_iana_svc_name(value: str) -> bool:
    """True for a named port ("http", "metrics"), as Kubernetes accepts in Service and container ports."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_PORT_NAME_LENGTH
        and bool(_DNS1123_LABEL.fullmatch(value))
        and "--" not in value
        and any("a" <= ch <= "z" for ch in value)
    )


def is_label_key(value: str) -> bool:
    """True for a Kubernetes label key: an optional DNS subdomain prefix and "/", then a name of at most 63."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return False
    return len(name) <= MAX_LABEL_LENGTH and bool(_QUALIFIED_NAME.fullmatch(name))


def team_slug_problem(slug: object) -> str | None:
    """Why ``slug`` cannot be a team's slug, or None. A slug labels every object of the team's routes
    (``portico.dev/team``) and names the team in URLs, so it is a DNS-1123 label, like a namespace."""
    if not isinstance(slug, str) or not slug:
        return "A team needs a slug."
    reason = _label_reason(slug)
    if reason is None:
        return None
    return f"Slug {_quote(slug)} is not valid: it {reason} ({LABEL_RULE}); it labels the objects of the team's routes."


def is_label_value(value: str) -> bool:
    """True for a Kubernetes label value: empty, or at most 63 letters, digits, "-", "_" and "." inside."""
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH:
        return False
    return not value or bool(_QUALIFIED_NAME.fullmatch(value))


def parse_decimal(text: object) -> int | None:
    """The whole number ``text`` spells in the ASCII digits 0-9, or None.

    ``str.isdigit()`` also accepts "²" (which ``int()`` refuses) and "١٢" (which ``int()`` reads as 12), and
    ``int()`` refuses more than 4,300 digits: forms and query strings parse numbers here, never with those.
    """
    if isinstance(text, str) and len(text) <= MAX_DECIMAL_LENGTH and _DIGITS.fullmatch(text):
        return int(text)
    return None


def normalize_host(host: str) -> str:
    """The canonical form of a host for storage and comparison: the name a browser asks DNS for.

    Strips whitespace, lower-cases, drops one trailing dot and writes unicode labels as punycode the way
    browsers do (UTS 46 non-transitional processing, IDNA 2008): "bücher.example" -> "xn--bcher-kva.example",
    "straße.example" -> "xn--strae-oqa.example" (IDNA 2003 made it "strasse"), full-width letters and
    ideographic full stops become their ASCII forms. Never raises: a label that cannot be converted (a zero-width
    joiner where IDNA forbids it) is kept lower-cased, and validation then explains what is wrong with it.
    """
    if not isinstance(host, str):
        return ""
    host = host.strip().translate(_IDNA_DOTS)
    if host.endswith("."):
        host = host[:-1]
    return ".".join(_label_to_ascii(label) for label in host.split("."))


def _label_to_ascii(label: str) -> str:
    # Unicode labels are case-mapped by UTS 46 itself: str.lower() writes a final sigma where browsers do not
    # ("ΣΑΣ" -> "σας", UTS 46 "σασ").
    if label.isascii():
        return label.lower()
    try:
        mapped = idna.uts46_remap(label, std3_rules=False, transitional=False)
        if mapped.isascii():
            encoded = mapped
        else:
            encoded = idna.alabel(mapped).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return label.lower()
    # A mapping could turn one character into several labels; refuse that rather than let a single typed label
    # silently become a different host.
    return label.lower() if "." in encoded or not encoded else encoded


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
        detail = re.sub(r" (in|of) '.*?'", "", str(exc), flags=re.S)
        detail = "".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in detail)
        if label.isascii():
            return f'starts with "xn--" but is not valid punycode ({detail})'
        return f"is not a valid internationalised name ({detail})"
    if idna.alabel(unicode).decode("ascii") != label:
        return f'starts with "xn--" but is not the punycode browsers use for {_quote(unicode)}'
    return None


def host_within_suffixes(host: str, suffixes: Iterable[str]) -> bool:
    """True when ``host`` is one of ``suffixes`` or a name under one of them.

    "shop.example.com" allows itself and "a.shop.example.com", never "evilshop.example.com";
    the wildcard "*.shop.example.com" is within "shop.example.com".
    """
    host = normalize_host(host)
    if host.startswith("*."):
        host = host[2:]
    for suffix in suffixes:
        suffix = normalize_host(suffix)
        if suffix and (host == suffix or host.endswith("." + suffix)):
            return True
    return False


def check_route(
    *, name: str, namespace: str, cluster: str, spec: RouteSpec, team: TeamPolicy, is_platform: bool,
    output: str = "ingress", cluster_namespaces: Iterable[str] = (),
) -> list[Violation]:
    """Every field rule and the team's policy for one route; an empty list means the route may be requested.

    ``spec.host`` may be un-normalised: the normalised host is judged, the original is quoted in messages.
    Platform engineers act for the team, so its suffixes and namespaces still apply; only wildcards are theirs.
    ``cluster_namespaces`` are the namespaces known on the cluster (every team's), against which an external
    name is judged (``check_external_name``).
    """
    namespace_violations = _check_dns_label("namespace", "Namespace", namespace)
    cluster_violations = _check_cluster(cluster)
    violations = _check_team(team) + _check_dns_label("name", "Name", name) + namespace_violations + cluster_violations
    if not namespace_violations and not cluster_violations:
        violations += _check_namespace_allowed(team, cluster, namespace)
    violations += _check_host(spec.host, team, is_platform)
    violations += _check_path(spec.path, spec.path_type)
    violations += _check_backend(spec.backend or Backend(), team, cluster_namespaces)
    violations += _check_tls(spec.tls or TLS(), team)
    if output == OUTPUT_GATEWAY:
        violations += _check_gateway_output(spec)
    return violations


def _check_gateway_output(spec: RouteSpec) -> list[Violation]:
    """What an HTTPRoute cannot express, said at request time instead of failing at apply time."""
    violations = []
    backend, tls = spec.backend or Backend(), spec.tls or TLS()
    if backend.kind != BACKEND_EXTERNAL and isinstance(backend.service_port, str) and parse_decimal(backend.service_port) is None:
        violations.append(Violation(
            "backend.service_port",
            f"This cluster routes through the Gateway API, whose backendRef takes a port number: use the number of "
            f"Service port {_quote(backend.service_port)} instead of its name.",
        ))
    if tls.mode == "secret":
        violations.append(Violation(
            "tls.mode",
            'This cluster terminates TLS at its Gateway\'s listener, so a route cannot bring its own Secret: choose '
            '"cert-manager" (the Gateway\'s certificate) or "none".',
        ))
    return violations


def check_conflicts(
    *,
    route_id: str | None,
    name: str,
    team: str,
    namespace: str,
    spec: RouteSpec,
    others: Iterable[ExistingRoute],
    claims: Mapping[str, str],
    foreign: Iterable[ForeignIngressPath],
    owned: Iterable[OwnedObject] = (),
    output: str = OUTPUT_INGRESS,
) -> list[Violation]:
    """Clashes with what already lives on the cluster; every violation has code ``conflict``.

    ``others`` are the other live routes on the same cluster (the route being edited, ``route_id``, is
    skipped), ``claims`` maps host to owning team slug, ``foreign`` lists host+paths of Ingresses Portico
    does not manage, ``owned`` the objects other live routes of the namespace own (or ask for) on the
    cluster, whose ``output`` names the route's own objects. Hosts are compared normalised, so case, a
    trailing dot or punycode cannot dodge a claim.
    """
    others = [other for other in others if route_id is None or str(other.id) != str(route_id)]
    host = normalize_host(spec.host)
    path = spec.path if isinstance(spec.path, str) else None
    violations = [
        Violation(
            "name",
            f'A route named "{other.name}" already exists in namespace "{other.namespace}" on this cluster '
            f'(team "{other.team}"); choose another name.',
            CONFLICT,
        )
        for other in others
        if other.namespace == namespace and other.name == name
    ]
    if host:
        violations += _claim_conflicts(host, spec.host, team, claims, others)
    if host and path is not None:
        violations += _path_conflicts(host, path, spec.path_type, others, foreign)
    violations += _ownership_conflicts(route_id, name, namespace, spec, owned, output)
    return violations


def owned_objects(name: str, namespace: str, spec: RouteSpec, output: str = OUTPUT_INGRESS) -> list[tuple[str, str, str]]:
    """(kind, namespace, name) of every object route ``name`` alone owns, named as routes.render names them: its
    Service when Portico manages one, and its Ingress (HTTPRoute for Gateway API output). Not the Certificate,
    which the routes on its host share."""
    owned = []
    if spec.backend.manages_service:
        owned.append(("Service", namespace, spec.backend.service_name_for(name)))
    owned.append(("HTTPRoute" if output == OUTPUT_GATEWAY else "Ingress", namespace, name))
    return owned


def _ownership_conflicts(
    route_id: str | None, name: str, namespace: str, spec: RouteSpec, owned: Iterable[OwnedObject], output: str
) -> list[Violation]:
    """An object this route would own already belongs to another route: one owner per object
    (docs/security.md, "One owner per object"). A clash of Ingress or HTTPRoute names is a clash of route
    names, which the name check reports."""
    mine = set(owned_objects(name, namespace, replace(spec, backend=spec.backend or Backend()), output))
    violations = []
    for other in owned:
        if route_id is not None and other.route_id == str(route_id):
            continue
        if (other.kind, other.namespace, other.name) not in mine or other.route_name == name:
            continue
        if other.used:
            # Creating the Service another route sends traffic to would decide where that route's traffic goes
            # (and deleting this route would remove it): a team sharing the namespace could capture it.
            violations.append(Violation(
                "backend.service_name",
                f'Route "{other.namespace}/{other.route_name}" of team "{other.team}" sends traffic to Service '
                f'"{other.namespace}/{other.name}" as an existing Service, so Portico will not manage a Service of '
                "that name for another route: it would decide where that route's traffic goes. Choose another "
                "Service name, or send traffic to that Service as an existing Service too.",
                CONFLICT,
            ))
            continue
        state = "asked for by the pending revision of" if other.pending else "managed by"
        violations.append(Violation(
            "backend.service_name" if other.kind == "Service" else "name",
            f'{other.kind} "{other.namespace}/{other.name}" is {state} route "{other.namespace}/{other.route_name}" '
            f'of team "{other.team}", and an object on the cluster belongs to one route. Choose another Service name, '
            "or send traffic to that Service as an existing Service (leave the selector, target port, service type "
            "and external name empty).",
            CONFLICT,
        ))
    return violations


def violations_to_nested(violations: Iterable[Violation]) -> dict:
    """Violations in the DRF error shape: ``{"backend": {"service_port": ["..."]}, "host": ["..."]}``.

    Messages keep their order and appear once. A message on a field that also has nested errors goes
    under that field's ``non_field_errors``, as DRF does.
    """
    nested: dict = {}
    for violation in violations:
        *parents, leaf = (violation.field or "non_field_errors").split(".")
        node = nested
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {"non_field_errors": child} if child else {}
            node = child
        if isinstance(node.get(leaf), dict):
            messages = node[leaf].setdefault("non_field_errors", [])
        else:
            messages = node.setdefault(leaf, [])
        if violation.message not in messages:
            messages.append(violation.message)
    return nested


def _quote(value: object) -> str:
    """A value as messages show it: strings in double quotes, invisible characters escaped, long ones cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 80:
        text = text[:77] + "…"
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return f'"{text}"' if isinstance(value, str) else text


def _label_reason(label: str, *, letter_first: bool = False) -> str | None:
    """Why ``label`` is not a DNS label, phrased to follow "it" or "the label ...", or None when it is one."""
    if not label:
        return "is empty"
    if len(label) > MAX_LABEL_LENGTH:
        return f"is {len(label)} characters long; the limit is {MAX_LABEL_LENGTH}"
    if not _LABEL_CHARS.fullmatch(label):
        if _LABEL_CHARS.fullmatch(label.lower()):
            return "must be lower-case"
        return 'may contain only lower-case letters, digits and "-"'
    if label.startswith("-") or label.endswith("-"):
        return "must start and end with a letter or digit"
    if letter_first and not "a" <= label[0] <= "z":
        return "must start with a letter"
    return None


def _check_dns_label(field: str, what: str, value: object, *, letter_first: bool = False) -> list[Violation]:
    if value is None or value == "":
        return [Violation(field, f"{what} is required.")]
    if not isinstance(value, str):
        return [Violation(field, f"{what} must be text, not {_quote(value)}.")]
    reason = _label_reason(value, letter_first=letter_first)
    if reason is None:
        return []
    rule = SERVICE_NAME_RULE if letter_first else LABEL_RULE
    return [Violation(field, f"{what} {_quote(value)} is not valid: it {reason} ({rule}).")]


def _check_team(team: TeamPolicy) -> list[Violation]:
    """The team's slug labels every object of its routes (``portico.dev/team``): one that is not a label value
    (stored before slugs were checked, portal.models.validate_team_slug) could never be applied."""
    if is_label_value(team.slug) and team.slug:
        return []
    return [Violation(
        "team",
        f"Team {_quote(team.slug)} cannot own routes: its slug labels every object of its routes and is not a valid "
        "Kubernetes label value (at most 63 letters, digits, \"-\", \"_\" and \".\", starting and ending with a letter "
        "or digit). Ask a platform engineer to create a team with a valid slug.",
        FORBIDDEN,
    )]


def _check_cluster(cluster: object) -> list[Violation]:
    if cluster is None or cluster == "":
        return [Violation("cluster", "Cluster is required.")]
    if not isinstance(cluster, str) or not _CLUSTER_NAME.fullmatch(cluster):
        return [
            Violation(
                "cluster",
                f'Cluster {_quote(cluster)} is not a valid cluster name: use the name shown on the clusters page '
                '(letters, digits, "-" and "_").',
            )
        ]
    return []


def _check_namespace_allowed(team: TeamPolicy, cluster: str, namespace: str) -> list[Violation]:
    if (cluster, namespace) in team.namespaces:
        return []
    allowed = sorted(ns for ns_cluster, ns in team.namespaces if ns_cluster == cluster)
    if not allowed:
        message = (
            f'Team "{team.slug}" has no namespace on cluster "{cluster}"; '
            "ask a platform engineer to grant one, or choose another cluster."
        )
    else:
        message = (
            f'Team "{team.slug}" may not use namespace "{namespace}" on cluster "{cluster}"; '
            f"allowed there: {_join_quoted(allowed)}."
        )
    return [Violation("namespace", message, FORBIDDEN)]


def _join_quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


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


def _host_problem(host: str, *, wildcard: bool) -> str | None:
    """Why ``host`` is not a usable DNS name, phrased to follow "is not a valid DNS name:", or None.

    ``wildcard`` accepts "*" as the whole first label; whether the requester may use it is policy, not syntax.
    """
    if "://" in host:
        scheme, _, rest = host.partition("://")
        bare = rest.split("/", 1)[0]
        return f'it must not include a scheme ("{scheme}://"); enter only the host, such as {_quote(bare)}'
    if "/" in host:
        return f'it must not include a path ({_quote(host[host.index("/"):])})'
    if _is_ip_literal(host):
        return "it is an IP address; enter a DNS name instead"
    port = _PORT_SUFFIX.search(host)
    if port and host.count(":") == 1:
        return f"it must not include a port ({_quote(port.group(0))})"
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
        reason = _idna_problem(label) or _label_reason(label)
        if reason:
            return f"the label {_quote(label)} {reason}"
    if len(labels) < 2:
        return 'it needs at least two labels, such as "app.example.com"'
    if _DIGITS.fullmatch(labels[-1]):
        return f'its last label "{labels[-1]}" is all digits, which makes it look like an IP address'
    return None


def _check_host(raw: object, team: TeamPolicy, is_platform: bool) -> list[Violation]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [Violation("host", 'Host is required, such as "app.example.com".')]
    if not isinstance(raw, str):
        return [Violation("host", f"Host must be text, not {_quote(raw)}.")]
    host = normalize_host(raw)
    shown = _quote(raw.strip())
    problem = _host_problem(host, wildcard=True)
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
                f'Host {shown} is outside the domains of team "{team.slug}": use {_join_quoted(team.domains)} '
                "or a name under one of them.",
                FORBIDDEN,
            )
        )
    return violations


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a literal Ingress path, phrased to follow "it", or None."""
    if not path.startswith("/"):
        return f'must start with "/", as in {_quote("/" + path)}'
    if len(path) > MAX_PATH_LENGTH:
        return f"is {len(path)} characters long; the limit is {MAX_PATH_LENGTH}"
    if any(ch.isspace() or not ch.isprintable() for ch in path):
        return "must not contain spaces, tabs, line breaks or other invisible characters"
    if "?" in path:
        return 'must not contain a query string ("?..."); an Ingress matches on the path alone'
    if "#" in path:
        return 'must not contain a fragment ("#..."); browsers never send it to the server'
    regex_chars = [ch for ch in _REGEX_CHARS if ch in path]
    if regex_chars:
        return (
            f"contains regular-expression characters ({_join_quoted(regex_chars)}); Prefix and Exact paths "
            "match literally, so create one route per path instead"
        )
    if "%2f" in path.lower():
        return 'must not contain an encoded "/" ("%2F")'
    # Decoded, so that "%2e%2e" cannot smuggle a ".." past the check.
    decoded = unquote(path)
    if ".." in decoded:
        return 'must not contain ".."'
    if "//" in decoded:
        return 'must not contain "//" (an empty segment)'
    if "/./" in decoded or decoded.endswith("/."):
        return 'must not contain "." segments'
    return None


def _check_path(path: object, path_type: object) -> list[Violation]:
    violations = []
    if path is None or path == "":
        violations.append(Violation("path", 'Path is required; use "/" to serve the whole host.'))
    elif not isinstance(path, str):
        violations.append(Violation("path", f'Path must be text, such as "/" or "/api", not {_quote(path)}.'))
    elif problem := _path_problem(path):
        violations.append(Violation("path", f"Path {_quote(path)} is not valid: it {problem}."))
    if path_type not in PATH_TYPES:
        given = "is required" if path_type in (None, "") else f"{_quote(path_type)} is not supported"
        violations.append(
            Violation(
                "path_type",
                f'Path type {given}: choose "Prefix" (the path and everything under it) or "Exact" (only that path).',
            )
        )
    return violations


def _port_reason(value: object, *, numeric_only: bool) -> str | None:
    """Why ``value`` is not a port, phrased to follow "it", or None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return "must be a number from 1 to 65535 or a port name"
    if isinstance(value, int):
        return None if 1 <= value <= 65535 else "must be between 1 and 65535"
    if _DIGITS.fullmatch(value):
        return "is text; send it as a number, without quotes"
    if not value.isascii() and any(ch.isdigit() for ch in value):
        return "must be written with the digits 0 to 9"
    if numeric_only:
        return "must be a number from 1 to 65535, because Portico creates this Service and its ports are numbers"
    return None if is_iana_svc_name(value) else f"is not a valid port name; {PORT_RULE}"


def _check_port(field: str, what: str, value: object, *, numeric_only: bool, required: str) -> list[Violation]:
    if value is None or value == "":
        return [Violation(field, required)]
    reason = _port_reason(value, numeric_only=numeric_only)
    return [Violation(field, f"{what} {_quote(value)} is not valid: it {reason}.")] if reason else []


def _selector_problem(selector: object) -> str | None:
    if not isinstance(selector, Mapping):
        return f'The selector must be a set of labels such as {{"app": "cart"}}, not {_quote(selector)}.'
    for key, value in selector.items():
        if not is_label_key(key):
            return (
                f"Selector key {_quote(key)} is not a valid label key: use at most 63 letters, digits, "
                '"-", "_" and "." starting and ending with a letter or digit, optionally after a DNS prefix and "/" '
                '(as in "app.kubernetes.io/name").'
            )
        if not is_label_value(value):
            return (
                f"Selector value {_quote(value)} for {_quote(key)} is not a valid label value: use at most 63 "
                'letters, digits, "-", "_" and ".", starting and ending with a letter or digit.'
            )
    return None


def _check_backend(backend: Backend, team: TeamPolicy, cluster_namespaces: Iterable[str] = ()) -> list[Violation]:
    kind = backend.kind
    violations = _check_dns_label("backend.service_name", "Service name", backend.service_name, letter_first=True)
    violations += _check_port(
        "backend.service_port",
        "Service port",
        backend.service_port,
        numeric_only=kind != BACKEND_EXISTING,
        required="Service port is required: the port of the Service that receives the traffic.",
    )
    if kind == BACKEND_MANAGED or backend.target_port not in (None, ""):
        violations += _check_port(
            "backend.target_port",
            "Target port",
            backend.target_port,
            numeric_only=False,
            required="A Service that Portico manages needs a target port: the port your pods listen on "
            "(a number, or the name of a container port).",
        )
    if kind == BACKEND_MANAGED:
        violations += _check_managed_backend(backend, team)
    elif kind == BACKEND_EXTERNAL:
        violations += _check_external_backend(backend, team, cluster_namespaces)
    return violations


def _check_managed_backend(backend: Backend, team: TeamPolicy) -> list[Violation]:
    violations = []
    if not backend.selector:
        violations.append(
            Violation(
                "backend.selector",
                'A Service that Portico manages needs a selector: the labels of the pods that receive the traffic, '
                'such as {"app": "cart"}. Pod IPs change whenever pods restart, so traffic must go through a selector.',
            )
        )
    elif problem := _selector_problem(backend.selector):
        violations.append(Violation("backend.selector", problem))
    violations += _check_service_type(backend.service_type, team)
    return violations


def _check_service_type(service_type: object, team: TeamPolicy) -> list[Violation]:
    if service_type in (None, "", "ClusterIP"):
        return []
    if service_type not in SERVICE_TYPES:
        return [
            Violation(
                "backend.service_type",
                f"Service type {_quote(service_type)} is not supported: choose ClusterIP (reachable inside the "
                "cluster, exposed by the Ingress), NodePort or LoadBalancer. To reach a host outside the cluster, "
                "fill in the external name instead.",
            )
        ]
    if service_type == "NodePort" and not team.allow_node_port:
        return [
            Violation(
                "backend.service_type",
                f'Team "{team.slug}" may not use NodePort: it opens a port on every node of the cluster, '
                "bypassing the Ingress and its TLS. Use ClusterIP; the Ingress already exposes the route.",
                FORBIDDEN,
            )
        ]
    if service_type == "LoadBalancer" and not team.allow_load_balancer:
        return [
            Violation(
                "backend.service_type",
                f'Team "{team.slug}" may not use LoadBalancer: it provisions a separate cloud load balancer with '
                "its own public address and cost, outside the Ingress and its TLS. Use ClusterIP; the Ingress "
                "already exposes the route.",
                FORBIDDEN,
            )
        ]
    return []


def check_external_name(
    external: object, *, cluster_namespaces: Iterable[str] = (), team: TeamPolicy | None = None,
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
        return [Violation(field, f"External name must be text, not {_quote(external)}.")]
    if problem := _host_problem(external, wildcard=False):
        return [Violation(field, f"External name {_quote(external)} is not a valid DNS name: {problem}.")]
    allowed = team.external_domains if team is not None else ()
    if problem := _external_name_problem(external, frozenset(cluster_namespaces) | SYSTEM_NAMESPACES,
                                         public_only=not allowed):
        return [Violation(field, f"External name {_quote(external)} {problem}.", FORBIDDEN)]
    if allowed and not host_within_suffixes(external, allowed):
        return [Violation(
            field,
            f'External name {_quote(external)} is outside what team "{team.slug}" may point at: use '
            f"{_join_quoted(allowed)} or a name under one of them, or ask a platform engineer to add its domain.",
            FORBIDDEN,
        )]
    return []


# Namespaces every cluster has.
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Cloud metadata endpoints by name (most end in ".internal", which is refused anyway; named for the message).
METADATA_HOSTS = frozenset({
    "metadata.google.internal", "metadata.goog", "instance-data.ec2.internal", "metadata.tencentyun.com",
})
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
        return (f'reads as {what} "{labels[-2]}" in namespace "{labels[-1]}", which the cluster\'s DNS search '
                f"domains find before any public name: {_PUBLISHES_A_SERVICE}")
    if name in METADATA_HOSTS:
        return ("is a cloud metadata endpoint, which hands out the node's credentials; it can never be a route's "
                "backend")
    echo = next((d for d in ADDRESS_ECHO_DOMAINS if name == d or name.endswith("." + d)), None)
    if echo is not None:
        return (f'is served by "{echo}", which answers with whatever address is written in the name (loopback and '
                "private ones included); use the backend's own DNS name")
    if address := _embedded_private_address(labels):
        return (f"has the address {address} written in it, which is not a public address (loopback, private or "
                "link-local); a name that resolves there reaches the cluster's own network, not a host outside")
    return _public_suffix_problem(name, labels) if public_only else None


def _embedded_private_address(labels: list[str]) -> str | None:
    """A non-public IPv4 address written into the name as four labels ("127.0.0.1.x") or with dashes in one
    label ("ip-10-0-0-1.x"), as address-echo DNS services read them; None when there is none."""
    candidates = [".".join(labels[i:i + 4]) for i in range(len(labels) - 3)]
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
            return ('is under ".internal", which names hosts inside a private network, such as a cloud\'s metadata '
                    f"service; {_PUBLIC_NAME_ADVICE}")
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
def _public_suffixes():
    """The ICANN section of the Public Suffix List shipped with the pinned publicsuffixlist package: the public
    top-level domains (and registries such as co.uk). Unknown TLDs are not public."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def _check_external_backend(backend: Backend, team: TeamPolicy, cluster_namespaces: Iterable[str] = ()) -> list[Violation]:
    violations = check_external_name(backend.external_name, cluster_namespaces=cluster_namespaces, team=team)
    if backend.selector:
        violations.append(
            Violation(
                "backend.selector",
                "An external backend has no selector: traffic goes to the external name through DNS. "
                "Remove the selector, or remove the external name to send traffic to pods.",
            )
        )
    if backend.service_type:
        violations.append(
            Violation(
                "backend.service_type",
                "An external backend always uses a Service of type ExternalName; leave the service type empty.",
            )
        )
    return violations


def _check_tls(tls: TLS, team: TeamPolicy) -> list[Violation]:
    violations = []
    if tls.mode not in TLS_MODES:
        given = "is required" if tls.mode in (None, "") else f"{_quote(tls.mode)} is not supported"
        violations.append(
            Violation(
                "tls.mode",
                f'TLS mode {given}: choose "cert-manager" (a certificate is issued automatically), "secret" '
                '(an existing TLS Secret) or "none" (plain HTTP, where your team allows it).',
            )
        )
    if tls.issuer not in (None, "") and not is_dns1123_subdomain(tls.issuer):
        violations.append(
            Violation("tls.issuer", f"Issuer {_quote(tls.issuer)} is not a valid ClusterIssuer name: {SUBDOMAIN_RULE}.")
        )
    # A secret name is checked whatever the mode: it is stored with the revision and shown back, and a later
    # change of mode alone would put it to use.
    if tls.mode == "secret" and tls.secret_name in (None, ""):
        violations.append(
            Violation(
                "tls.secret_name",
                'TLS mode "secret" needs the name of an existing TLS Secret in the route\'s namespace.',
            )
        )
    elif tls.secret_name not in (None, "") and not is_dns1123_subdomain(tls.secret_name):
        violations.append(
            Violation("tls.secret_name", f"Secret name {_quote(tls.secret_name)} is not a valid name: {SUBDOMAIN_RULE}.")
        )
    if tls.mode == "none" and not team.allow_plain_http:
        violations.append(
            Violation(
                "tls.mode",
                f'Team "{team.slug}" may not serve plain HTTP: traffic and cookies would travel unencrypted. '
                'Use "cert-manager" to get a certificate automatically, or "secret" for an existing one.',
                FORBIDDEN,
            )
        )
    return violations


def _covers(wildcard: str, host: str) -> bool:
    """True when ``wildcard`` ("*.example.com") matches ``host`` one label under it ("a.example.com")."""
    if not wildcard.startswith("*."):
        return False
    return host.partition(".")[2] == wildcard[2:]


def _hosts_overlap(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or _covers(a, b) or _covers(b, a))


def _claim_conflicts(
    host: str, raw_host: str, team: str, claims: Mapping[str, str], others: list[ExistingRoute]
) -> list[Violation]:
    """Another team owns this host: by a claim, or by a live route (claims are written on approval)."""
    shown = _quote(raw_host.strip())
    owners: dict[str, str] = {}  # owning team -> the claimed host that covers ours
    for claimed, owner in claims.items():
        claimed = normalize_host(claimed)
        if owner != team and owner not in owners and _hosts_overlap(host, claimed):
            owners[owner] = claimed
    violations = [
        Violation(
            "host",
            f"{_overlap_subject(shown, host, claimed)} claimed by team \"{owner}\"; only that team can add routes "
            "there. Ask them to add your path, or ask a platform engineer to release the claim.",
            CONFLICT,
        )
        for owner, claimed in owners.items()
    ]
    for other in others:
        other_host = normalize_host(other.host)
        if other.team != team and other.team not in owners and _hosts_overlap(host, other_host):
            owners[other.team] = other_host
            violations.append(
                Violation(
                    "host",
                    f'{_overlap_subject(shown, host, other_host)} already used by team "{other.team}" '
                    f'(route "{other.namespace}/{other.name}"); '
                    "a host belongs to one team, so ask them to add your path.",
                    CONFLICT,
                )
            )
    return violations


def _overlap_subject(shown: str, host: str, taken: str) -> str:
    """How the requested host meets a taken one, as the start of a sentence ending in "... by team X"."""
    if taken == host:
        return f"Host {shown} is"
    if _covers(taken, host):
        return f'Host {shown} falls under "{taken}", which is'
    return f'Wildcard host {shown} would cover "{taken}", which is'


def _path_key(path: str, path_type: object) -> str:
    """Paths that route the same requests compare equal: a Prefix path ignores its trailing "/"."""
    return (path.rstrip("/") or "/") if path_type != "Exact" else path


def _path_conflicts(
    host: str, path: str, path_type: object, others: list[ExistingRoute], foreign: Iterable[ForeignIngressPath]
) -> list[Violation]:
    key = _path_key(path, path_type)
    violations = [
        Violation(
            "path",
            f'Route "{other.namespace}/{other.name}" of team "{other.team}" already serves {other.path_type} path '
            f'"{other.path}" on host "{host}"; choose another path or change that route.',
            CONFLICT,
        )
        for other in others
        if other.path_type == path_type
        and normalize_host(other.host) == host
        and _path_key(other.path, other.path_type) == key
    ]
    # A foreign Ingress's path type was not recorded, so compare both sides the Prefix way.
    prefix_key = _path_key(path, "Prefix")
    violations += [
        Violation(
            "path",
            f'Ingress "{ingress.namespace}/{ingress.name}", which Portico does not manage, already serves path '
            f'"{ingress.path}" on host "{host}"; remove that rule first, or import the Ingress into Portico.',
            CONFLICT,
        )
        for ingress in foreign
        if normalize_host(ingress.host) == host and _path_key(ingress.path or "/", "Prefix") == prefix_key
    ]
    return violations
