"""deploy/target-rbac.yaml, judged by kube-apiserver's own RBAC authorizer (tests/realkube): the reconciler, as the
identity the file binds, probes, applies, repairs drift, prunes, deletes, adopts and writes Gateway API output
with no request refused; and without any one permission of the file, one of those fails, refused for exactly
that permission.

This replaces a test that derived the needed permissions from the emulator's request log by mapping HTTP
methods to verbs: that mapping said a server-side apply needs `patch`, while kube-apiserver also checks
`create` when the apply creates the object, so every first apply was refused on real clusters (403) while the
test passed.
"""

import copy
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from django.test import override_settings

from clusters import probe, watches
from routes import adopt, reconcile, services
from routes.domain.values import Backend, RouteOptions
from routes.models import Route
from tests.adopt.conftest import ingress_body
from tests.factories import spec
from tests.reconcile.conftest import seed_gateway

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "target-rbac.yaml"
pytestmark = pytest.mark.django_db

SERVICE = ("v1", "Service")
INGRESS = ("networking.k8s.io/v1", "Ingress")
CERTIFICATE = ("cert-manager.io/v1", "Certificate")
HTTP_ROUTE = ("gateway.networking.k8s.io/v1", "HTTPRoute")
MIDDLEWARE = ("traefik.io/v1alpha1", "Middleware")
VARIANT_NAMESPACE = "rbac-variant"


def role(kind: str) -> dict:
    """The file's ClusterRole, or its Role (kube-system: what the probe reads there)."""
    docs = [doc for doc in yaml.safe_load_all(RBAC.read_text()) if doc]
    return next(doc for doc in docs if doc["kind"] == kind)


def cluster_role() -> dict:
    return role("ClusterRole")


ROLE_NAMESPACE = "kube-system"


def every_permission() -> list[tuple[str, tuple[str, str, str]]]:
    """(the role kind that grants it, permission) for each permission of the file."""
    return [(kind, p) for kind in ("ClusterRole", "Role") for p in permissions(role(kind)["rules"])]


def permissions(rules: list[dict]) -> list[tuple[str, str, str]]:
    """(api group, resource, verb) for each permission, or ("nonResourceURL", path, verb)."""
    out = []
    for rule in rules:
        for verb in rule["verbs"]:
            out += [("nonResourceURL", url, verb) for url in rule.get("nonResourceURLs", [])]
            out += [
                (group, resource, verb) for group in rule.get("apiGroups", []) for resource in rule.get("resources", [])
            ]
    return out


def without(rules: list[dict], removed: tuple[str, str, str]) -> list[dict]:
    """The rules less one permission, every other one kept."""
    group, resource, verb = removed
    out = []
    for rule in copy.deepcopy(rules):
        matches = (
            resource in rule.get("nonResourceURLs", [])
            if group == "nonResourceURL"
            else group in rule.get("apiGroups", []) and resource in rule.get("resources", [])
        )
        if matches and verb in rule["verbs"]:
            rule["verbs"].remove(verb)
        if rule["verbs"]:
            out.append(rule)
    return out


# "User ... cannot create resource "ingresses" in API group "networking.k8s.io" ..." / "cannot get path "/version""
REFUSAL = re.compile(r'cannot (\w+) resource "([^"]+)" in API group "([^"]*)"|cannot (\w+) path "([^"]+)"')


def refused_permission(message: str) -> tuple[str, str, str]:
    """The permission kube-apiserver's RBAC authorizer named when it refused a request."""
    found = REFUSAL.search(message)
    assert found, f"not an RBAC refusal: {message}"
    if found.group(1):
        return (found.group(3), found.group(2), found.group(1))
    return ("nonResourceURL", found.group(5), found.group(4))


class ScenarioFailed(AssertionError):
    pass


def check(step: str, ok: bool, detail: object = "") -> None:
    if not ok:
        raise ScenarioFailed(f"{step}: {detail}")


def _quiet_sync(cluster_id) -> bool:
    """Whether a sync of the cluster turns quiet within a few syncs once its watches are accepted (a refused watch
    leaves every sync full): routes/reconcile/quiet.py."""
    try:
        with override_settings(PORTICO_SYNC_WATCH=True):
            for _ in range(4):
                if reconcile.sync_cluster(cluster_id).quiet:
                    return True
                deadline = time.monotonic() + 20
                while watches.status(cluster_id) == "arming" and time.monotonic() < deadline:
                    time.sleep(0.05)
            return False
    finally:
        watches.disarm_all()


def everything_the_reconciler_does(realkube, *, token: str | None, team, developer, reviewer) -> None:
    """Probe, first apply, status, drift repair, prune, delete, adoption and Gateway API output, as the identity
    of ``token`` (the file's own ServiceAccount when None). Raises ScenarioFailed at the first step that fails;
    any exception from Portico is a failure too."""
    identity = {"identity": "portico"} if token is None else {"token": token}
    step = "probe"
    try:
        cluster = probe.probe_cluster(realkube.cluster(team, name="real", probe=False, **identity).pk)
        check(step, cluster.reachable and cluster.health_message == "All checks passed.", cluster.health_message)

        step = "probe (Gateway API output)"
        gateway = probe.probe_cluster(
            realkube.cluster(
                team,
                name="gw",
                output="gateway",
                gateway_name="public",
                gateway_namespace="gateway-system",
                probe=False,
                **identity,
            ).pk
        )
        check(step, gateway.reachable and gateway.gateway_present, gateway.health_message)

        step = "first apply: managed Service, Ingress, Certificate"
        backend = Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"})
        route = services.approve_route(
            services.submit_route(
                user=developer,
                team=team,
                cluster=cluster,
                namespace="shop",
                name="cart",
                spec=spec(host="cart.shop.example.com", backend=backend),
            ),
            user=reviewer,
        )
        result = reconcile.reconcile_route(route.pk)
        check(step, result is reconcile.Result.APPLIED, Route.objects.get(pk=route.pk).conditions)
        check(
            step,
            all(
                realkube.get(*kind, "shop", name)
                for kind, name in ((SERVICE, "cart"), (INGRESS, "cart"), (CERTIFICATE, "cart-shop-example-com"))
            ),
            "objects missing",
        )

        step = "sync: status read back"
        realkube.endpoint_slice("cart", port=8080)
        realkube.set_ingress_address("cart")
        realkube.set_certificate_ready("cart-shop-example-com")
        report = reconcile.sync_cluster(cluster.pk)
        route.refresh_from_db()
        check(step, not report.errors and route.health == "Healthy", (report.errors, route.health, route.conditions))

        step = "quiet sync: a watch of each list of a full sync, then a sync with nothing to do"
        check(step, _quiet_sync(cluster.pk), watches.status(cluster.pk))

        step = "diagnostics: the namespace's NetworkPolicies, one list in namespace shop"
        realkube.create(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": "shop"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            }
        )
        reconcile.sync_cluster(cluster.pk)
        route.refresh_from_db()
        policy_step = next(s for s in route.diagnostics if s["step"] == "network-policy")
        check(step, policy_step["status"] == "fail" and "default-deny" in policy_step["detail"], policy_step)
        realkube.delete("networking.k8s.io/v1", "NetworkPolicy", "shop", "default-deny")

        step = "drift repair: an edited Ingress, a deleted Service"
        realkube.patch_out_of_band(*INGRESS, "shop", "cart", {"spec": {"ingressClassName": "other"}})
        realkube.delete(*SERVICE, "shop", "cart")
        report = reconcile.sync_cluster(cluster.pk)
        ingress, service = realkube.get(*INGRESS, "shop", "cart"), realkube.get(*SERVICE, "shop", "cart")
        check(
            step,
            not report.errors and ingress["spec"]["ingressClassName"] == "nginx" and service is not None,
            report.errors,
        )

        step = "prune: the Certificate of a host the route left"
        route = services.edit_route(
            route, user=developer, spec=replace(route.latest_spec, host="store.shop.example.com")
        )
        services.approve_route(route, user=reviewer)
        reconcile.reconcile_route(route.pk)
        check(
            step,
            realkube.get(*CERTIFICATE, "shop", "cart-shop-example-com") is None
            and realkube.get(*CERTIFICATE, "shop", "store-shop-example-com") is not None,
            Route.objects.get(pk=route.pk).conditions,
        )

        step = "delete: every object of the route, its managed Service included"
        services.request_deletion(Route.objects.get(pk=route.pk), user=developer)
        check(step, reconcile.reconcile_route(route.pk) is reconcile.Result.DELETED)
        check(
            step,
            not any(
                realkube.get(*kind, "shop", name)
                for kind, name in ((SERVICE, "cart"), (INGRESS, "cart"), (CERTIFICATE, "store-shop-example-com"))
            ),
            "objects left",
        )

        step = "route options on a Traefik cluster: its Middlewares applied, then deleted with the route"
        realkube.create(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": "traefik"},
                "spec": {"controller": "traefik.io/ingress-controller"},
            }
        )
        edge = probe.probe_cluster(
            realkube.cluster(team, name="edge", ingress_class="traefik", probe=False, **identity).pk
        )
        check(step, edge.controller_family == "traefik", (edge.ingress_controller, edge.health_message))
        limited = services.approve_route(
            services.submit_route(
                user=developer,
                team=team,
                cluster=edge,
                namespace="shop",
                name="limited",
                spec=spec(
                    host="limited.shop.example.com",
                    backend=Backend(service_name="cart", service_port=80),
                    options=RouteOptions(force_https=True, source_ranges=("203.0.113.0/24",)),
                ),
            ),
            user=reviewer,
        )
        check(
            step,
            reconcile.reconcile_route(limited.pk) is reconcile.Result.APPLIED,
            Route.objects.get(pk=limited.pk).conditions,
        )
        middlewares = [(*MIDDLEWARE, "shop", name) for name in ("limited-sources", "limited-https-redirect")]
        check(step, all(realkube.get(*m) for m in middlewares), "Middlewares missing")
        services.request_deletion(Route.objects.get(pk=limited.pk), user=developer)
        check(step, reconcile.reconcile_route(limited.pk) is reconcile.Result.DELETED)
        check(step, not any(realkube.get(*m) for m in middlewares), "Middlewares left")

        step = "adoption of a hand-made Ingress"
        realkube.service("legacy", port=8080)
        realkube.create(ingress_body("legacy", host="legacy.shop.example.com", service="legacy", secret="legacy-tls"))
        candidates = adopt.discover(cluster, "shop")
        results = adopt.adopt(cluster, candidates, reviewer)
        labels = realkube.get(*INGRESS, "shop", "legacy")["metadata"].get("labels") or {}
        check(
            step,
            [r.error for r in results] == [""] and labels.get("app.kubernetes.io/managed-by") == "portico",
            [r.error for r in results] or [c.reasons for c in candidates],
        )

        step = "Gateway API output: apply, drift repair, delete"
        web = services.approve_route(
            services.submit_route(
                user=developer,
                team=team,
                cluster=gateway,
                namespace="shop",
                name="web",
                spec=spec(
                    host="web.shop.example.com",
                    backend=Backend(service_name="web", service_port=80, target_port=8080, selector={"app": "web"}),
                ),
            ),
            user=reviewer,
        )
        check(
            step, reconcile.reconcile_route(web.pk) is reconcile.Result.APPLIED, Route.objects.get(pk=web.pk).conditions
        )
        realkube.patch_out_of_band(*HTTP_ROUTE, "shop", "web", {"spec": {"hostnames": ["other.shop.example.com"]}})
        report = reconcile.sync_cluster(gateway.pk)
        check(
            step,
            not report.errors
            and realkube.get(*HTTP_ROUTE, "shop", "web")["spec"]["hostnames"] == ["web.shop.example.com"],
            report.errors,
        )
        services.request_deletion(Route.objects.get(pk=web.pk), user=developer)
        check(
            step,
            reconcile.reconcile_route(web.pk) is reconcile.Result.DELETED
            and realkube.get(*HTTP_ROUTE, "shop", "web") is None,
        )

        step = "quiet sync of the Gateway API cluster: its HTTPRoutes watched"
        check(step, _quiet_sync(gateway.pk), watches.status(gateway.pk))
    except ScenarioFailed:
        raise
    except Exception as exc:  # a refusal Portico does not handle (e.g. a 403 on a delete) ends the scenario too
        raise ScenarioFailed(f"{step}: {exc.__class__.__name__}: {exc}") from exc


@pytest.fixture
def prepared(realkube):
    """What the scenarios need besides Portico: Service cart's slice comes later; Gateway gateway-system/public."""
    seed_gateway(realkube)
    return realkube


def bind(realkube, rules: list[dict], namespaced_rules: list[dict] | None = None) -> str:
    """A new ServiceAccount bound to a ClusterRole of ``rules`` and a kube-system Role of ``namespaced_rules``
    (the file's Role when None); returns a token for it (TokenRequest), once the authorizer has seen the binding."""
    if namespaced_rules is None:
        namespaced_rules = role("Role")["rules"]
    server = realkube.server
    realkube.add_namespace(VARIANT_NAMESPACE)
    server.request("POST", f"/api/v1/namespaces/{VARIANT_NAMESPACE}/serviceaccounts", {"metadata": {"name": "variant"}})
    server.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "portico-variant"},
            "rules": rules,
        }
    )
    server.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "portico-variant"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "portico-variant"},
            "subjects": [{"kind": "ServiceAccount", "name": "variant", "namespace": VARIANT_NAMESPACE}],
        }
    )
    # kube-system outlives the test (the clean-up keeps the server's own namespaces): the next bind overwrites it.
    server.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "portico-variant", "namespace": ROLE_NAMESPACE},
            "rules": namespaced_rules,
        }
    )
    server.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "portico-variant", "namespace": ROLE_NAMESPACE},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "portico-variant"},
            "subjects": [{"kind": "ServiceAccount", "name": "variant", "namespace": VARIANT_NAMESPACE}],
        }
    )
    token = server.request(
        "POST",
        f"/api/v1/namespaces/{VARIANT_NAMESPACE}/serviceaccounts/variant/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}},
    )["status"]["token"]
    group, resource, verb = next(p for p in permissions(rules) if p[0] != "nonResourceURL")
    for _ in range(100):
        review = server.request(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"group": group, "resource": resource, "verb": verb}},
            },
            token=token,
        )
        if review["status"].get("allowed"):
            return token
    raise AssertionError("The authorizer never saw the variant's binding.")


def test_the_files_identity_does_everything_with_no_request_refused(prepared, shop, alice, pat):
    everything_the_reconciler_does(prepared, token=None, team=shop, developer=alice, reviewer=pat)

    assert prepared.refused() == []
    assert prepared.requests  # the scenario did talk to the server


def test_a_new_binding_of_the_same_rules_passes_too(prepared, shop, alice, pat):
    """The variants below use this binding; with nothing removed it must pass, or their failures prove nothing."""
    token = bind(prepared, cluster_role()["rules"])

    everything_the_reconciler_does(prepared, token=token, team=shop, developer=alice, reviewer=pat)

    assert prepared.refused() == []


@pytest.mark.parametrize(
    ("kind", "removed"), every_permission(), ids=lambda v: v if isinstance(v, str) else "/".join(v)
)
def test_without_any_one_permission_a_scenario_fails_refused_for_it(prepared, shop, alice, pat, kind, removed):
    rules, namespaced = cluster_role()["rules"], role("Role")["rules"]
    if kind == "Role":
        token = bind(prepared, rules, without(namespaced, removed))
    else:
        token = bind(prepared, without(rules, removed), namespaced)

    with pytest.raises(ScenarioFailed):
        everything_the_reconciler_does(prepared, token=token, team=shop, developer=alice, reviewer=pat)

    assert {refused_permission(r.error) for r in prepared.refused()} == {removed}


def test_rbac_never_grants_wildcards_or_secrets():
    for rule in cluster_role()["rules"] + role("Role")["rules"]:
        assert (
            "*" not in rule["verbs"] and "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])
        )
        assert "secrets" not in rule.get("resources", [])
