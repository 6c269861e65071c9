"""Reading other managers' fields from managedFields (routes.domain.managed_fields), and which annotations Portico
removes (routes.domain.policy.annotations)."""

import pytest

from routes.domain.managed_fields import SUMMARY_KEY, dangerous_annotations, foreign_fields, readable, summarize
from routes.domain.policy.annotations import is_dangerous_annotation


def entry(manager, fields, operation="Update", subresource=None):
    value = {
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        value["subresource"] = subresource
    return value


PORTICO = entry(
    "portico",
    {
        "f:metadata": {"f:annotations": {"f:portico.dev/revision": {}}, "f:labels": {"f:portico.dev/route": {}}},
        "f:spec": {"f:rules": {}, "f:ports": {".": {}, 'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}},
    },
    operation="Apply",
)


def obj(*entries):
    return {"kind": "Ingress", "metadata": {"name": "cart", "namespace": "shop", "managedFields": [PORTICO, *entries]}}


def test_status_subresource_finalizers_and_kubectl_bookkeeping_are_not_foreign():
    found = foreign_fields(
        obj(
            entry(
                "nginx-ingress-controller", {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}, subresource="status"
            ),
            entry(
                "kube-controller-manager", {"f:metadata": {"f:finalizers": {".": {}, "v:service.kubernetes.io/x": {}}}}
            ),
            entry(
                "kubectl-client-side-apply",
                {"f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}},
            ),
        )
    )

    assert found == []


def test_a_field_portico_owns_too_is_not_foreign():
    shared = entry(
        "kubectl", {"f:metadata": {"f:annotations": {"f:portico.dev/revision": {}}}, "f:spec": {"f:rules": {}}}
    )

    assert foreign_fields(obj(shared)) == []


def test_other_managers_fields_are_named_readably():
    found = foreign_fields(
        obj(
            entry(
                "kubectl-annotate",
                {"f:metadata": {"f:annotations": {".": {}, "f:nginx.ingress.kubernetes.io/auth-url": {}}}},
            ),
            entry(
                "mesh",
                {"f:spec": {"f:ports": {'k:{"port":9090,"protocol":"TCP"}': {".": {}, "f:port": {}, "f:name": {}}}}},
            ),
            entry("before-first-apply", {"f:metadata": {"f:labels": {"f:legacy": {}}}}, operation="Apply"),
        )
    )

    assert [(f.manager, f.field, f.dangerous) for f in found] == [
        ("kubectl-annotate", "annotation nginx.ingress.kubernetes.io/auth-url", True),
        ("mesh", "spec.ports[port=9090,protocol=TCP]", False),
        ("before-first-apply", "label legacy", False),
    ]
    assert [f.annotation for f in dangerous_annotations(obj(*[]))] == []


def test_a_summary_replaces_managed_fields_only_when_there_is_something_to_keep():
    clean, drifted = obj(), obj(entry("kubectl-edit", {"f:spec": {"f:defaultBackend": {}}}))

    summarize(clean)
    summarize(drifted)

    assert "managedFields" not in clean["metadata"] and SUMMARY_KEY not in clean
    assert "managedFields" not in drifted["metadata"]
    assert [(f.manager, f.field) for f in foreign_fields(drifted)] == [("kubectl-edit", "spec.defaultBackend")]


@pytest.mark.parametrize(
    ("key", "dangerous"),
    [
        ("nginx.ingress.kubernetes.io/configuration-snippet", True),
        ("nginx.ingress.kubernetes.io/server-snippet", True),
        ("nginx.ingress.kubernetes.io/auth-url", True),
        ("nginx.ingress.kubernetes.io/auth-signin", True),
        ("nginx.org/server-snippets", True),
        ("haproxy.org/backend-config-snippet", True),
        ("traefik.ingress.kubernetes.io/router.middlewares", True),
        ("nginx.ingress.kubernetes.io/proxy-body-size", False),
        ("example.com/on-call", False),
    ],
)
def test_which_annotations_portico_removes(key, dangerous):
    assert is_dangerous_annotation(key) is dangerous


def test_readable_paths():
    assert readable(("f:spec", "f:tls")) == "spec.tls"
    assert readable(("f:spec", "f:rules", "i:0")) == "spec.rules[0]"
    assert readable(("f:metadata", "f:finalizers", "v:x")) == "metadata.finalizers[=x]"


def test_an_adopted_ingress_keeps_its_creator_on_the_fields_portico_renders():
    creator = entry(
        "kubectl-create",
        {"f:spec": {"f:ingressClassName": {}, "f:rules": {}, "f:tls": {}, "f:defaultBackend": {"f:service": {}}}},
    )

    found = foreign_fields(obj(creator))

    assert [f.field for f in found] == ["spec.defaultBackend.service"]


def test_a_changed_field_inside_a_list_item_portico_owns_is_portico_s_drift_not_an_addition():
    edit = entry(
        "kubectl-edit",
        {
            "f:spec": {
                "f:ports": {
                    'k:{"port":80,"protocol":"TCP"}': {"f:targetPort": {}},
                    'k:{"port":9090,"protocol":"TCP"}': {".": {}, "f:port": {}},
                }
            }
        },
    )

    assert [f.field for f in foreign_fields(obj(edit))] == ["spec.ports[port=9090,protocol=TCP]"]
