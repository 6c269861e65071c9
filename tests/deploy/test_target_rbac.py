"""deploy/target-rbac.yaml grants Portico exactly what the reconciler sends: no verb missing, none to spare.

The needed permissions are derived from the emulator's request log while the reconciler does everything it
does to a cluster (probe, apply, drift repair, prune, deletion), not from a hand-written list.
"""
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from routes import reconcile, services
from routes.spec import Backend
from tests.reconcile.conftest import (  # noqa: F401 - fixtures
    HTTP_ROUTE, INGRESS, SERVICE, approve, approve_on_gateway, gateway_cluster, kube_cluster,
)

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "target-rbac.yaml"
pytestmark = pytest.mark.django_db


def permission(method: str, path: str, query: dict) -> tuple:
    """(api group, resource, verb) the API server checks for one request, or ("nonResourceURL", path, verb)."""
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return ("nonResourceURL", path, method.lower())
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    resource, name = rest[0], rest[1] if len(rest) > 1 else None
    verb = {"GET": "get" if name else ("watch" if query.get("watch") else "list"), "PATCH": "patch", "PUT": "update",
            "POST": "create", "DELETE": "delete" if name else "deletecollection"}[method]
    return (group, resource, verb)


def granted(rules: list[dict]) -> set[tuple]:
    out = set()
    for rule in rules:
        for verb in rule["verbs"]:
            for url in rule.get("nonResourceURLs", []):
                out.add(("nonResourceURL", url, verb))
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    out.add((group, resource, verb))
    return out


def cluster_role() -> dict:
    docs = [doc for doc in yaml.safe_load_all(RBAC.read_text()) if doc]
    return next(doc for doc in docs if doc["kind"] == "ClusterRole")


@pytest.fixture
def everything_the_reconciler_sends(kube, approve, submit, kube_cluster, alice, pat, approve_on_gateway,
                                    gateway_cluster):
    """Run every reconciler operation against the emulator, on a cluster with Ingress output and on one with
    Gateway API output, and return the permissions its requests need."""
    kube.clear_requests()
    # Gateway API output: probe (the Gateway), apply, sync (HTTPRoutes by label), drift repair, deletion.
    reconcile.probe_cluster(gateway_cluster.pk)
    on_gateway = approve_on_gateway("web", host="web.shop.example.com",
                                    backend=Backend(service_name="web", service_port=80, target_port=8080,
                                                    selector={"app": "web"}))
    reconcile.reconcile_route(on_gateway.pk)
    reconcile.sync_cluster(gateway_cluster.pk)
    kube.patch_out_of_band(*HTTP_ROUTE, "shop", "web", {"spec": {"hostnames": ["other.shop.example.com"]}})
    reconcile.sync_cluster(gateway_cluster.pk)
    services.request_deletion(on_gateway, user=alice)
    reconcile.reconcile_route(on_gateway.pk)
    # Ingress output.
    reconcile.probe_cluster(kube_cluster.pk)
    managed = approve("cart", backend=Backend(service_name="cart", service_port=80, target_port=8080,
                                               selector={"app": "cart"}))
    reconcile.reconcile_route(managed.pk)
    existing = approve("api", path="/api")
    reconcile.reconcile_route(existing.pk)
    reconcile.sync_cluster(kube_cluster.pk)
    # Drift: one object edited out of band, one deleted; the next sync repairs both.
    kube.patch_out_of_band(*INGRESS, "shop", "api", {"spec": {"ingressClassName": "other"}})
    kube.delete(*SERVICE, "shop", "cart")
    reconcile.sync_cluster(kube_cluster.pk)
    # An edit that moves the route to another host leaves objects to prune.
    services.edit_route(managed, user=alice, spec=replace(managed.latest_spec, host="shop.shop.example.com"))
    services.approve_route(managed, user=pat)
    reconcile.reconcile_route(managed.pk)
    # Deletion removes everything the routes had, their managed Service included.
    for route in (existing, managed):
        services.request_deletion(route, user=alice)
        reconcile.reconcile_route(route.pk)
    reconcile.sync_cluster(kube_cluster.pk)
    needed = {permission(r.method, r.path, r.query) for r in kube.requests}
    # kube-apiserver also authorizes a PATCH that creates the object (a first server-side apply) as `create`.
    needed |= {permission("POST", r.path, r.query) for r in kube.requests if r.method == "PATCH" and r.status == 201}
    return needed


def test_rbac_grants_every_permission_the_reconciler_uses(everything_the_reconciler_sends):
    missing = everything_the_reconciler_sends - granted(cluster_role()["rules"])
    assert not missing, f"deploy/target-rbac.yaml lacks: {sorted(missing)}"


def test_rbac_grants_nothing_the_reconciler_does_not_use(everything_the_reconciler_sends):
    extra = granted(cluster_role()["rules"]) - everything_the_reconciler_sends
    assert not extra, f"deploy/target-rbac.yaml grants more than Portico uses: {sorted(extra)}"


def test_rbac_never_grants_wildcards_or_secrets():
    for rule in cluster_role()["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])
        assert "secrets" not in rule.get("resources", [])
