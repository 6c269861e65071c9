"""Kubernetes name rules, in one place: DNS-1123 labels and subdomains, DNS-1035 labels, port names, label keys
and values, as the API server checks them (k8s.io/apimachinery/pkg/util/validation); and the canonical form of a
DNS host name (``normalize_host``), which teams' domains and routes' hosts are stored in.

Pure: no Django, no I/O. Route policy, rendering, cluster and team validation all ask here, so a name one
surface accepts is a name the others accept and the API server applies.
"""

from __future__ import annotations

import re

import idna

MAX_LABEL_LENGTH = 63
MAX_SUBDOMAIN_LENGTH = 253
MAX_PORT_NAME_LENGTH = 15

_LABEL_CHARS = re.compile(r"[a-z0-9-]+")
_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")

LABEL_RULE = 'use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit'
SERVICE_NAME_RULE = (
    'use at most 63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit'
)
SUBDOMAIN_RULE = 'use at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit'
PORT_NAME_RULE = (
    'a port name of at most 15 lower-case letters, digits and "-" '
    'with at least one letter and no leading, trailing or double "-"'
)


def is_dns1123_label(value: object) -> bool:
    """True for a Kubernetes object name such as a namespace or route name ("cart-api")."""
    return isinstance(value, str) and len(value) <= MAX_LABEL_LENGTH and bool(_DNS1123_LABEL.fullmatch(value))


def is_dns1035_label(value: object) -> bool:
    """True for a Service name: a DNS-1123 label that starts with a letter."""
    return isinstance(value, str) and len(value) <= MAX_LABEL_LENGTH and bool(_DNS1035_LABEL.fullmatch(value))


def is_dns1123_subdomain(value: object) -> bool:
    """True for a Kubernetes name that may contain dots, such as a Secret or ClusterIssuer name."""
    return isinstance(value, str) and len(value) <= MAX_SUBDOMAIN_LENGTH and bool(_DNS1123_SUBDOMAIN.fullmatch(value))


def is_iana_svc_name(value: object) -> bool:
    """True for a named port ("http", "metrics"), as Kubernetes accepts in Service and container ports."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_PORT_NAME_LENGTH
        and bool(_DNS1123_LABEL.fullmatch(value))
        and "--" not in value
        and any("a" <= ch <= "z" for ch in value)
    )


def is_label_key(value: object) -> bool:
    """True for a Kubernetes label (or annotation) key: an optional DNS subdomain prefix and "/", then a name
    of at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return False
    return len(name) <= MAX_LABEL_LENGTH and bool(_QUALIFIED_NAME.fullmatch(name))


def is_label_value(value: object) -> bool:
    """True for a Kubernetes label value: empty, or at most 63 letters, digits, "-", "_" and "." inside."""
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH:
        return False
    return not value or bool(_QUALIFIED_NAME.fullmatch(value))


def label_problem(label: str, *, letter_first: bool = False) -> str | None:
    """Why ``label`` is not a DNS-1123 label (with ``letter_first``, a DNS-1035 label), phrased to follow "it"
    or "the label ...", or None when it is one."""
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


# Full stops that IDNA treats as label separators, so "shop。example.com" means "shop.example.com".
_IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


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
    host = host.removesuffix(".")
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
