"""libyaml's emitter writes the manifests and spec diffs byte for byte as PyYAML's pure-Python one did
(routes/domain/yaml_text.py): same objects, same text, whichever emitter PyYAML has."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.domain import yaml_text
from routes.domain.diff import spec_diff, spec_yaml
from routes.domain.render import desired_objects, to_yaml
from routes.domain.values import TLS, Backend, ClusterSettings, RouteOptions, RouteSpec
from tests.routes.domain.render_support import CLUSTER, LONG_HOST, MANAGED, VALIDATION_CASES, spec, target

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: one emitter only")

# to_yaml's and spec_yaml's options, for arbitrary data.
MANIFEST_OPTIONS = {
    "explicit_start": True,
    "sort_keys": False,
    "default_flow_style": False,
    "allow_unicode": True,
    "width": 2**16,
}
SPEC_OPTIONS = {"sort_keys": True, "default_flow_style": False}


@pytest.fixture
def pure_python(monkeypatch):
    """Run a function as it was before libyaml: with PyYAML's pure-Python emitter."""

    def run(function, *args, **kwargs):
        with monkeypatch.context() as patched:
            patched.setattr(yaml_text, "DUMPER", yaml.SafeDumper)
            return function(*args, **kwargs)

    return run


def test_libyaml_writes_the_text():
    assert yaml_text.DUMPER is yaml.CSafeDumper


OPTIONS = RouteOptions(force_https=True, timeout_seconds=90, max_body_size_mb=16, source_ranges=("10.0.0.0/8",))
ROUTES = {
    **VALIDATION_CASES,
    "unicode-host": spec(host="bücher.例え.example.com"),
    "punycode-host": spec(host="xn--bcher-kva.example.com"),
    "unicode-selector": spec(backend=Backend(service_name="cart", service_port=80, selector={"app": "café ☕ 日本"})),
    "quoted-values": spec(
        backend=Backend(service_name="yes", service_port="8080", target_port="null", selector={"on": "'~'"})
    ),
    "options": spec(options=OPTIONS),
    "long-path": spec(host=LONG_HOST, path="/" + "very-long-segment/" * 40, path_type="Exact"),
    "odd-path": spec(path="/a b/#c:d/ünï/\t/\u2028/\x85/end: x"),
}
CLUSTERS = [
    CLUSTER,
    ClusterSettings(name="traefik", ingress_class="traefik", controller="traefik"),
    ClusterSettings(name="haproxy", ingress_class="haproxy", controller="haproxy"),
    ClusterSettings(name="gw", output="gateway", gateway_name="edge", gateway_namespace="gateways"),
]


@pytest.mark.parametrize("cluster", CLUSTERS, ids=lambda c: c.name)
@pytest.mark.parametrize("name", list(ROUTES))
def test_manifests_are_the_same_text(pure_python, name, cluster):
    objects = desired_objects([(target(), ROUTES[name])], cluster)

    assert to_yaml(objects) == pure_python(to_yaml, objects)


def test_many_routes_in_one_multi_document_text(pure_python):
    routes = [(target(f"{i:08d}-0000-4000-8000-000000000000", f"r{i}"), s) for i, s in enumerate(ROUTES.values())]
    objects = desired_objects(routes, CLUSTER)

    text = to_yaml(objects)

    assert text.count("---\n") == len(objects) > len(ROUTES)
    assert text == pure_python(to_yaml, objects)


@pytest.mark.parametrize("name", list(ROUTES))
def test_spec_text_and_diffs_are_the_same(pure_python, name):
    stored = ROUTES[name].to_dict()
    before = RouteSpec(host="old.example.com", backend=MANAGED, tls=TLS(mode="none")).to_dict()
    diff = spec_diff(before, stored, old_label="r1", new_label="r2")

    assert spec_yaml(stored) == pure_python(spec_yaml, stored)
    assert diff == pure_python(spec_diff, before, stored, old_label="r1", new_label="r2")
    assert "-host: old.example.com" in diff


# JSON-like data (what specs and manifests are made of) with strings from ``chars``: YAML's special words,
# indicators and quotes among words, long lines.
def documents(chars):
    words = st.lists(
        st.text(chars, max_size=12)
        | st.sampled_from(["yes", "No", "null", "~", "- a", "a:", "#", "'", '"', "?", "1e3"]),
        max_size=20,
    ).map(" ".join)
    text = st.text(chars, max_size=100) | words
    keys = text.filter(lambda key: 0 < len(key) <= 100)
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
    trees = st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
    )
    return st.lists(st.dictionaries(keys, trees, min_size=1, max_size=5), min_size=1, max_size=3)


ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
BMP_PRINTABLE = st.characters(codec="utf-8").filter(lambda c: yaml_text.agreed(c, allow_unicode=True))


@settings(max_examples=100, deadline=None)
@given(documents(BMP_PRINTABLE))
def test_libyaml_writes_printable_unicode_as_the_pure_python_emitter(docs):
    assert yaml_text.agreed(docs, allow_unicode=True)
    assert yaml.dump_all(docs, Dumper=yaml.CSafeDumper, **MANIFEST_OPTIONS) == yaml.safe_dump_all(
        docs, **MANIFEST_OPTIONS
    )


@settings(max_examples=100, deadline=None)
@given(documents(ASCII))
def test_libyaml_writes_printable_ascii_as_the_pure_python_emitter(docs):
    assert yaml_text.agreed(docs)
    assert yaml.dump(docs, Dumper=yaml.CSafeDumper, **SPEC_OPTIONS) == yaml.safe_dump(docs, **SPEC_OPTIONS)


# Where the two emitters write different text: libyaml escapes U+10000 and beyond even with allow_unicode,
# writes an empty key, a key with a carriage return and a long quoted key otherwise.
DIFFERING_MANIFESTS = [{"path": "/\U0001f600"}, {"": None}, {"\r": None}]
DIFFERING_SPECS = [
    [{"    00 000 000 000 0000 0000 0000 00000 00000 000000 0000000 0000000000" + " 000000000000" * 4: None}]
]


@pytest.mark.parametrize("document", DIFFERING_MANIFESTS)
def test_manifests_libyaml_writes_otherwise_go_to_the_pure_python_emitter(document):
    pure = yaml.safe_dump_all([document], **MANIFEST_OPTIONS)

    assert yaml.dump_all([document], Dumper=yaml.CSafeDumper, **MANIFEST_OPTIONS) != pure  # still differs
    assert yaml_text.dump_all([document], **MANIFEST_OPTIONS) == pure


@pytest.mark.parametrize("document", DIFFERING_SPECS)
def test_specs_libyaml_writes_otherwise_go_to_the_pure_python_emitter(document):
    pure = yaml.safe_dump(document, **SPEC_OPTIONS)

    assert yaml.dump(document, Dumper=yaml.CSafeDumper, **SPEC_OPTIONS) != pure  # still differs
    assert yaml_text.dump(document, **SPEC_OPTIONS) == pure


@settings(max_examples=100, deadline=None)
@given(documents(st.characters(codec="utf-8")))
def test_any_documents_are_the_same_text(docs):
    assert yaml_text.dump_all(docs, **MANIFEST_OPTIONS) == yaml.safe_dump_all(docs, **MANIFEST_OPTIONS)
    assert yaml_text.dump(docs[0], **SPEC_OPTIONS) == yaml.safe_dump(docs[0], **SPEC_OPTIONS)
