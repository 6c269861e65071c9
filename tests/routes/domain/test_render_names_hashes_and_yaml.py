"""Rendering: object keys and order, names and labels derived from hosts, spec hashes, YAML output, unknown outputs."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from routes.domain.render import (
    HOST_LABEL,
    SPEC_HASH_ANNOTATION,
    certificate_name,
    desired_objects,
    host_label_value,
    object_key,
    render_route,
    spec_hash,
    tls_secret_name,
    to_yaml,
)
from routes.domain.validation import validate_objects
from routes.domain.values import ClusterSettings
from tests.routes.domain.render_support import (
    CLUSTER,
    DNS1123_LABEL,
    FIRST_ID,
    LABEL_VALUE,
    LONG_HOST,
    MANAGED,
    SECOND_ID,
    of_kind,
    reordered,
    spec,
    target,
)


def test_desired_objects_are_sorted_by_object_key():
    routes = [(target(SECOND_ID, "api"), spec(path="/api", backend=MANAGED)), (target(FIRST_ID), spec())]

    objects = desired_objects(routes, CLUSTER)

    assert [object_key(obj) for obj in objects] == sorted(object_key(obj) for obj in objects)


def test_object_key_is_api_version_kind_namespace_name():
    ingress = render_route(target(), spec(), CLUSTER)[0]

    assert object_key(ingress) == ("networking.k8s.io/v1", "Ingress", "shop", "cart")


def test_long_host_gets_a_hashed_label_and_still_valid_names():
    objects = desired_objects([(target(), spec(host=LONG_HOST))], CLUSTER)
    certificate = of_kind(objects, "Certificate")[0]

    assert len(LONG_HOST) > 63
    label = certificate["metadata"]["labels"][HOST_LABEL]
    assert label == host_label_value(LONG_HOST) and label.startswith("h-")
    assert len(label) <= 63 and LABEL_VALUE.fullmatch(label)
    for name in (certificate_name(LONG_HOST), tls_secret_name(LONG_HOST)):
        assert len(name) <= 63 and DNS1123_LABEL.fullmatch(name), name
    assert certificate["spec"]["dnsNames"] == [LONG_HOST]
    assert validate_objects(objects) == []


def test_long_hosts_sharing_a_prefix_get_distinct_names():
    other = LONG_HOST.replace("shop.example.com", "shop.example.org")

    assert certificate_name(LONG_HOST) != certificate_name(other)
    assert tls_secret_name(LONG_HOST) != tls_secret_name(other)
    assert host_label_value(LONG_HOST) != host_label_value(other)


def test_host_names_are_slugged():
    assert certificate_name("cart.shop.example.com") == "cart-shop-example-com"
    assert tls_secret_name("cart.shop.example.com") == "cart-shop-example-com-tls"
    assert certificate_name("*.shop.example.com") == "wildcard-shop-example-com"
    assert tls_secret_name("*.shop.example.com") == "wildcard-shop-example-com-tls"
    # A "-" of the host's own would read like a dot, so such hosts carry a hash (tests/routes/domain/test_injective_names.py).
    assert re.fullmatch(r"my-cart-shop-example-com-[0-9a-f]{10}", certificate_name("my-cart.shop.example.com"))


def test_host_label_is_the_host_when_valid_and_hashed_otherwise():
    assert host_label_value("cart.shop.example.com") == "cart.shop.example.com"
    wildcard = host_label_value("*.shop.example.com")
    assert wildcard.startswith("h-") and LABEL_VALUE.fullmatch(wildcard)
    assert host_label_value("*.shop.example.com") == wildcard


def test_spec_hash_annotation_is_the_hash_of_the_object():
    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert obj["metadata"]["annotations"][SPEC_HASH_ANNOTATION] == spec_hash(obj)
        assert re.fullmatch(r"[0-9a-f]{16}", spec_hash(obj))


def test_spec_hash_ignores_key_order():
    for obj in desired_objects([(target(), spec(backend=MANAGED))], CLUSTER):
        assert spec_hash(reordered(obj)) == spec_hash(obj)


def test_spec_hash_ignores_its_own_annotation():
    ingress = render_route(target(), spec(), CLUSTER)[0]
    tampered = copy.deepcopy(ingress)
    tampered["metadata"]["annotations"][SPEC_HASH_ANNOTATION] = "0000000000000000"

    assert spec_hash(tampered) == spec_hash(ingress)


def test_spec_hash_changes_when_the_spec_changes():
    before = render_route(target(), spec(path="/cart"), CLUSTER)[0]
    after = render_route(target(), spec(path="/basket"), CLUSTER)[0]
    edited = copy.deepcopy(before)
    edited["spec"]["ingressClassName"] = "traefik"

    assert spec_hash(after) != spec_hash(before)
    assert spec_hash(edited) != spec_hash(before)


def test_revision_bump_changes_route_objects_but_not_the_certificate():
    old = desired_objects([(target(revision=1), spec(backend=MANAGED))], CLUSTER)
    new = desired_objects([(target(revision=2), spec(backend=MANAGED))], CLUSTER)

    changed = {obj["kind"] for obj, was in zip(new, old, strict=True) if spec_hash(obj) != spec_hash(was)}
    assert changed == {"Service", "Ingress"}


def test_to_yaml_is_deterministic_and_readable():
    routes = [(target(FIRST_ID), spec(backend=MANAGED)), (target(SECOND_ID, "api"), spec(path="/api"))]

    text = to_yaml(desired_objects(routes, CLUSTER))
    shuffled = to_yaml(reordered(obj) for obj in desired_objects(list(reversed(routes)), CLUSTER))

    assert text == shuffled
    assert text.startswith("---\napiVersion: ")
    first_document = text.split("---\n")[1]
    top_keys = [line.split(":")[0] for line in first_document.splitlines() if re.match(r"\w", line)]
    assert top_keys == ["apiVersion", "kind", "metadata", "spec"]
    assert first_document.index("  name:") < first_document.index("  namespace:") < first_document.index("  labels:")


def test_to_yaml_reads_back_as_the_same_objects():
    objects = desired_objects([(target(), spec(backend=MANAGED))], CLUSTER)

    assert list(yaml.safe_load_all(to_yaml(objects))) == objects


def test_to_yaml_separates_documents():
    objects = desired_objects([(target(), spec(backend=MANAGED))], CLUSTER)

    assert to_yaml(objects).count("---\n") == len(objects) == 3


def test_unknown_output_is_refused():
    mesh = ClusterSettings(name="prod-eu", output="mesh")

    with pytest.raises(ValueError, match="mesh"):
        render_route(target(), spec(), mesh)
