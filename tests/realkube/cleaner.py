"""The clean-up after each test: the namespaces a test made removed, cluster-scoped additions and removals undone."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import yaml

from clusters.devcluster import ApiError, LocalCluster
from clusters.devcluster.server import CLUSTER_ISSUER, CRD_DIR, INGRESS_CLASS, TARGET_RBAC

# Namespaces the server has before any test; the per-test clean-up leaves them alone.
BASE_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "portico-system"})
# Cluster-scoped kinds tests may add to; the clean-up deletes what a test added and restores what it removed.
CLUSTER_KINDS = (
    ("networking.k8s.io/v1", "ingressclasses"),
    ("cert-manager.io/v1", "clusterissuers"),
    ("gateway.networking.k8s.io/v1", "gatewayclasses"),
    ("rbac.authorization.k8s.io/v1", "clusterroles"),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions"),
)


class Cleaner:
    """Puts the server back as the session found it after each test: plays the namespace controller (which does
    not run here) for every namespace a test made, and undoes cluster-scoped additions and removals."""

    def __init__(self, server: LocalCluster):
        self.server = server
        self.baseline = {kind: set(self._names(api_version, kind)) for api_version, kind in CLUSTER_KINDS}
        self._namespaced: list[tuple[str, str, set[str]]] | None = None
        self.dirty = False  # a test ran since the last complete clean-up
        self.kept_namespaces: set[str] = set(BASE_NAMESPACES)

    def keep(self, *namespaces: str) -> None:
        """Take what the server has now as the state to put back, ``namespaces`` included: for a fixture that
        adds to the server for the rest of the session (tests/traffic's ingress controller and cert-manager)."""
        self.kept_namespaces |= set(namespaces)
        self.baseline = {kind: set(self._names(api_version, kind)) for api_version, kind in CLUSTER_KINDS}

    def _names(self, api_version: str, plural: str) -> list[str]:
        listed = self.server.request("GET", self.server.collection_path(api_version, plural))
        return [item["metadata"]["name"] for item in listed.get("items") or []]

    def namespaced_resources(self) -> list[tuple[str, str, set[str]]]:
        """(apiVersion, plural, verbs) of every namespaced resource served, preferred versions only."""
        if self._namespaced is None:
            found = [
                ("v1", r["name"], set(r["verbs"]))
                for r in self.server.request("GET", "/api/v1")["resources"]
                if r["namespaced"] and "/" not in r["name"]
            ]
            for group in self.server.request("GET", "/apis")["groups"]:
                version = group["preferredVersion"]["groupVersion"]
                found += [
                    (version, r["name"], set(r["verbs"]))
                    for r in self.server.request("GET", f"/apis/{version}")["resources"]
                    if r["namespaced"] and "/" not in r["name"]
                ]
            self._namespaced = [(v, p, verbs) for v, p, verbs in found if "delete" in verbs and "list" in verbs]
        return self._namespaced

    def clean(self) -> None:
        listed = self.server.request("GET", "/api/v1/namespaces")["items"]
        for namespace in [n["metadata"]["name"] for n in listed if n["metadata"]["name"] not in self.kept_namespaces]:
            self.remove_namespace(namespace)
        self._restore_cluster_scoped()
        self.dirty = False

    def remove_namespace(self, namespace: str) -> None:
        """Delete everything in ``namespace`` (finalizers dropped), then the namespace itself, for good."""
        # A second pass: a controller running beside the server (tests/traffic's cert-manager) may create an object
        # again while the first pass runs (a CertificateRequest for a Certificate not yet deleted); no garbage
        # collector runs here, so it would survive the namespace and come back with the next test's namespace.
        for _ in range(2):
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda resource: self._empty(namespace, *resource), self.namespaced_resources()))
        try:
            self.server.request("DELETE", f"/api/v1/namespaces/{namespace}")
            current = self.server.request("GET", f"/api/v1/namespaces/{namespace}")
            current["spec"]["finalizers"] = []
            self.server.request("PUT", f"/api/v1/namespaces/{namespace}/finalize", current)
        except ApiError as exc:
            if exc.status != 404:
                raise
        for _ in range(100):
            try:
                self.server.request("GET", f"/api/v1/namespaces/{namespace}")
            except ApiError as exc:
                if exc.status == 404:
                    return
                raise
            time.sleep(0.05)
        raise AssertionError(f"Namespace {namespace} was not removed after the test.")

    def _empty(self, namespace: str, api_version: str, plural: str, verbs: set[str]) -> None:
        """Delete every object of one resource in ``namespace``; drop the finalizers of those they hold."""
        path = self.server.collection_path(api_version, plural, namespace)
        try:
            if "deletecollection" in verbs:
                answer = self.server.request("DELETE", path) or {}
                # The answer lists what was deleted, those still held by finalizers included.
                if answer.get("kind", "").endswith("List"):
                    items = answer.get("items") or []
                else:
                    items = self.server.request("GET", path).get("items") or []
            else:
                items = [
                    self.server.request("DELETE", f"{path}/{item['metadata']['name']}") or {}
                    for item in self.server.request("GET", path).get("items") or []
                ]
            for item in items:
                if (item.get("metadata") or {}).get("finalizers"):
                    self.server.request(
                        "PATCH",
                        f"{path}/{item['metadata']['name']}",
                        {"metadata": {"finalizers": None}},
                        content_type="application/merge-patch+json",
                    )
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise

    def _restore_cluster_scoped(self) -> None:
        restore_crds = False
        for api_version, plural in CLUSTER_KINDS:
            names = set(self._names(api_version, plural))
            for extra in sorted(names - self.baseline[plural]):
                try:
                    self.server.request("DELETE", f"{self.server.collection_path(api_version, plural)}/{extra}")
                except ApiError as exc:
                    if exc.status != 404:
                        raise
            if plural == "customresourcedefinitions" and self.baseline[plural] - names:
                restore_crds = True
        if restore_crds:
            self.server.forget_discovery()
            self._namespaced = None
            for path in sorted(CRD_DIR.glob("*.yaml")):
                for crd in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
                    self.server.apply(crd)
                    self.server._wait_served(crd, time.monotonic() + 60)
        # What a test may have changed or removed among the server's own set-up objects.
        self.server.apply(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {"controller": "k8s.io/ingress-nginx"},
            }
        )
        self.server.apply(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": CLUSTER_ISSUER},
                "spec": {"selfSigned": {}},
            }
        )
        self.server.apply_rbac(TARGET_RBAC.read_text())
