"""Label and field selectors, parsed and matched the way kube-apiserver does for list and watch."""

import re
from dataclasses import dataclass

# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|<|>|[^\s!=(),<>]+)")


class SelectorError(ValueError):
    """A selector the API server would refuse (it answers 400 BadRequest with this message)."""


def label_key_error(key: str) -> str | None:
    """Why `key` is not a valid label (or annotation) key, in the API server's words; None if it is."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return (
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character"
        )
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.fullmatch(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
            "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation "
            "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )
    return None


def label_value_error(value: str) -> str | None:
    """Why `value` is not a valid label value, in the API server's words; None if it is."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _VALUE.fullmatch(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
            "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
    return None


@dataclass(frozen=True)
class Requirement:
    """One comma-separated term of a label selector: `app=cart`, `tier in (web,api)`, `!legacy`..."""

    key: str
    operator: str  # one of "=", "!=", "in", "notin", "exists", "!", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return present
            case "!":
                return not present
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                # As in Kubernetes: an object without the key satisfies a negative requirement.
                return not present or value not in self.values
            case ">" | "<":
                try:
                    number = int(value) if present else None
                except ValueError:
                    return False
                limit = int(self.values[0])
                return number is not None and (number > limit if self.operator == ">" else number < limit)
        raise AssertionError(self.operator)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only unmatched whitespace can remain, which rstrip() removed
            raise SelectorError(f"unable to parse requirement: unexpected character at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_label_selector(text: str | None) -> list[Requirement]:
    """Parse `labelSelector`; every requirement must hold (comma means AND). Empty selects everything."""
    tokens = _tokens(text or "")
    requirements: list[Requirement] = []
    index = 0

    def take() -> str | None:
        nonlocal index
        token = tokens[index] if index < len(tokens) else None
        index += 1
        return token

    def peek() -> str | None:
        return tokens[index] if index < len(tokens) else None

    def word(what: str) -> str:
        token = take()
        if token is None or token in {"!=", "==", "=", "!", "(", ")", ",", "<", ">"}:
            raise SelectorError(f"unable to parse requirement: found '{token or ''}', expected: {what}")
        return token

    while index < len(tokens):
        if peek() == "!":
            take()
            requirement = Requirement(word("identifier"), "!")
        else:
            key = word("identifier")
            operator = peek()
            if operator in {None, ","}:
                requirement = Requirement(key, "exists")
            elif operator in {"=", "==", "!="}:
                take()
                value = "" if peek() in {None, ","} else word("value")
                requirement = Requirement(key, "!=" if operator == "!=" else "=", (value,))
            elif operator in {"in", "notin"}:
                take()
                if take() != "(":
                    raise SelectorError("unable to parse requirement: found '', expected: '('")
                values: list[str] = []
                while True:
                    if peek() in {",", ")"}:
                        values.append("")  # `key in (a,,b)` and `key in ()` hold empty values
                    else:
                        values.append(word("value"))
                    separator = take()
                    if separator == ")":
                        break
                    if separator != ",":
                        raise SelectorError("unable to parse requirement: found '', expected: ',' or ')'")
                requirement = Requirement(key, operator, tuple(values))
            elif operator in {">", "<"}:
                take()
                limit = word("integer")
                if not re.fullmatch(r"-?\d+", limit):
                    raise SelectorError(f"unable to parse requirement: invalid integer value {limit!r}")
                requirement = Requirement(key, operator, (limit,))
            else:
                raise SelectorError(
                    f"unable to parse requirement: found '{operator}', expected: in, notin, =, ==, !=, gt, lt"
                )
        if (problem := label_key_error(requirement.key)) is not None:
            raise SelectorError(f"unable to parse requirement: key: Invalid value: {requirement.key!r}: {problem}")
        if requirement.operator not in {">", "<"}:
            for value in requirement.values:
                if (problem := label_value_error(value)) is not None:
                    raise SelectorError(
                        f"unable to parse requirement: values[0][{requirement.key}]: "
                        f"Invalid value: {value!r}: {problem}"
                    )
        requirements.append(requirement)
        separator = take()
        if separator not in {None, ","}:
            raise SelectorError(f"unable to parse requirement: found '{separator}', expected: ','")
        if separator == "," and peek() is None:
            raise SelectorError("unable to parse requirement: found '', expected: identifier")
    return requirements


def labels_match(requirements: list[Requirement], labels: dict[str, str] | None) -> bool:
    """Whether an object's labels satisfy every requirement."""
    return all(requirement.matches(labels or {}) for requirement in requirements)


# Every resource supports these two field selectors; kinds with more (pods: status.phase...) are not emulated.
SUPPORTED_FIELDS = ("metadata.name", "metadata.namespace")


def parse_field_selector(text: str | None) -> list[tuple[str, str, str]]:
    """Parse `fieldSelector` into (field, operator, value) with operator "=" or "!="."""
    terms: list[tuple[str, str, str]] = []
    for term in filter(None, (part.strip() for part in (text or "").split(","))):
        match = re.fullmatch(r"([^=!\s]+)\s*(==|=|!=)\s*(.*)", term)
        if match is None:
            raise SelectorError(f"invalid selector: '{term}'; can't understand '{term}'")
        field, operator, value = match.groups()
        if field not in SUPPORTED_FIELDS:
            raise SelectorError(f"field label not supported: {field}")
        terms.append((field, "!=" if operator == "!=" else "=", value))
    return terms


def fields_match(terms: list[tuple[str, str, str]], obj: dict) -> bool:
    """Whether an object satisfies every field selector term."""
    metadata = obj.get("metadata") or {}
    for field, operator, value in terms:
        actual = metadata.get(field.removeprefix("metadata."), "") or ""
        if (actual == value) != (operator == "="):
            return False
    return True
