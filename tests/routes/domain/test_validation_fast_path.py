"""Schema validation has a compiled fast path (jsonschema-rs) in front of jsonschema: it must never change a verdict.
Every rendered kind, damaged at random places with random values, gets exactly the messages jsonschema alone gives."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.domain import validation
from routes.domain.render import desired_objects
from routes.domain.values import ClusterSettings
from tests.routes.domain.render_support import CLUSTER, MANAGED, VALIDATION_CASES, spec, target

GATEWAY = ClusterSettings(
    name="prod-eu", ingress_class="nginx", default_issuer="letsencrypt", output="gateway", gateway_name="public"
)
OBJECTS = [
    *desired_objects([(target(), spec(backend=MANAGED))], CLUSTER),
    *desired_objects([(target(), spec())], GATEWAY),
    *(
        obj
        for case in sorted(VALIDATION_CASES)
        for obj in desired_objects([(target(), VALIDATION_CASES[case])], CLUSTER)
    ),
]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    """Every place in an object a value could be put: each existing key and item, and a new key in each dict."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
        yield (*prefix, "unexpectedField")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _damaged(obj: dict, path: tuple, value) -> dict:
    damaged = copy.deepcopy(obj)
    if not path:
        return damaged
    holder = damaged
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return damaged


def _jsonschema_only(objects: list[dict], version: str, monkeypatch) -> list[str]:
    with monkeypatch.context() as patched:
        patched.setattr(validation, "_passes", lambda fast, obj: False)
        return validation.validate_objects(objects, version)


@pytest.mark.parametrize("version", ["1.29", "1.37"])
def test_valid_objects_are_passed_by_the_fast_path_alone(version, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("jsonschema was asked about a valid object")

    monkeypatch.setattr(validation.jsonschema.exceptions, "best_match", refuse)
    monkeypatch.setattr(validation, "_vendored_validator", refuse)

    assert validation.validate_objects(OBJECTS, version) == []


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_path_never_changes_a_verdict(data, monkeypatch_session):
    obj = data.draw(st.sampled_from(OBJECTS))
    # Metadata gets the API server's name and label rules (validation._metadata_errors), not the schemas.
    path = data.draw(st.sampled_from(sorted((p for p in _paths(obj) if p[:1] != ("metadata",)), key=repr)))
    damaged = _damaged(obj, path, data.draw(VALUES))

    assert validation.validate_objects([damaged]) == _jsonschema_only([damaged], "1.37", monkeypatch_session)


@pytest.fixture(scope="module")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
