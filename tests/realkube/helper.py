"""RealKube: what a test does to the local kube-apiserver besides running Portico (tests/realkube/README.md).

It plays the other actors: a person with kubectl (create, edit, apply as another field manager, delete), the
controllers that do not run here (Ingress addresses, Certificate readiness, Gateway and HTTPRoute status, all
written through the status subresource; EndpointSlices created as objects), and the platform engineer who
registers the cluster in Portico. Every call here is made as the admin identity (system:masters).
"""

from __future__ import annotations

import base64
import copy
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import kubernetes
import urllib3
import yaml

from clusters.devcluster import ApiError, LocalCluster
from clusters.devcluster.server import (
    CLUSTER_ISSUER,
    CRD_DIR,
    INGRESS_CLASS,
    TARGET_RBAC,
)

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
FAR_FUTURE = "2099-01-01T00:00:00Z"
A_WHILE_AGO = "2026-01-01T00:00:00Z"


@dataclass
class RecordedRequest:
    """One request Portico's KubeClient sent during the test, and the status it got (0: no answer)."""

    method: str
    path: str
    query: dict
    content_type: str | None
    status: int
    cluster: str
    body: object = field(default=None, repr=False)
    error: str = ""  # the API server's message when it refused the request


class RealKube:
    """The local API server as one test sees it: namespace ``shop`` (fresh), helpers, and Portico's requests."""

    def __init__(self, server: LocalCluster, *, namespace: str = "shop", tmp_path: Path | None = None):
        self.server = server
        self.namespace = namespace
        self.namespaces: list[str] = []
        self.requests: list[RecordedRequest] = []
        self._tmp = Path(tmp_path or tempfile.mkdtemp(prefix="realkube-"))
        self._clients: list[kubernetes.client.ApiClient] = []

    # Credentials

    @property
    def url(self) -> str:
        return self.server.url

    def kubeconfig(self, identity: str = "portico", *, token: str | None = None) -> dict:
        """Inline kubeconfig (server, certificate-authority-data, token): ``identity`` is "portico" (the
        ServiceAccount deploy/target-rbac.yaml binds) or "admin" (system:masters); or any bearer ``token``."""
        return self.server.kubeconfig(identity, token=token)

    def kubeconfig_text(self, identity: str = "portico", *, token: str | None = None) -> str:
        return yaml.safe_dump(self.kubeconfig(identity, token=token), sort_keys=False)

    def api_client(self, identity: str = "admin") -> kubernetes.client.ApiClient:
        """A `kubernetes` ApiClient that verifies the server's certificate against the local CA; closed after the test."""
        client = kubernetes.config.new_client_from_config_dict(self.kubeconfig(identity))
        self._clients.append(client)
        return client

    @property
    def api(self) -> kubernetes.client.ApiClient:
        """The admin's ApiClient."""
        if not self._clients:
            self.api_client("admin")
        return self._clients[0]

    def cluster(
        self,
        team=None,
        *,
        name: str = "real",
        identity: str = "portico",
        token: str | None = None,
        namespaces: tuple[str, ...] = (),
        probe: bool = True,
        **fields,
    ):
        """A kubernetes-mode Cluster row on this server, registered the way a platform engineer does it
        (`manage.py add_cluster` with an inline kubeconfig), where ``team`` may use the test's namespace (and
        ``namespaces``); other model ``fields`` (output, gateway_name, ...) are set after. Probed unless told not."""
        from django.core.management import call_command

        from clusters.models import Cluster
        from clusters.probe import probe_cluster
        from teams.models import TeamNamespace

        path = self._tmp / f"{name}.kubeconfig"
        path.write_text(self.kubeconfig_text(identity, token=token))
        options = {key: fields.pop(key) for key in ("ingress_class", "issuer", "display_name") if key in fields}
        call_command("add_cluster", name, kubeconfig=path, stdout=_Discard(), **options)
        cluster = Cluster.objects.get(name=name)
        if fields:
            Cluster.objects.filter(pk=cluster.pk).update(**fields)
        if team is not None:
            for namespace in (self.namespace, *namespaces):
                TeamNamespace.objects.get_or_create(team=team, cluster=cluster, namespace=namespace)
        if probe:
            probe_cluster(cluster.pk)
        cluster.refresh_from_db()
        self.clear_requests()
        return cluster

    # Portico's requests

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"}]

    def clear_requests(self) -> None:
        self.requests.clear()

    def refused(self) -> list[RecordedRequest]:
        """Requests the API server refused for lack of permission (403)."""
        return [r for r in self.requests if r.status == 403]

    # Objects, as another actor sees them

    def add_namespace(self, name: str) -> dict:
        """Create one more namespace for this test (removed, with everything in it, after the test)."""
        created = self.server.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        self.namespaces.append(name)
        return created

    def create(self, obj: dict, *, manager: str = "kubectl-create") -> dict:
        """Create an object as admin (namespaced kinds default to the test's namespace). A ``status`` in ``obj`` is
        then written through the status subresource, as its controller would, so a seed can be born Ready."""
        obj = copy.deepcopy(obj)
        status = obj.pop("status", None)
        plural, namespaced = self.server.resource(obj["apiVersion"], obj["kind"])
        if namespaced:
            obj["metadata"].setdefault("namespace", self.namespace)
        namespace = obj["metadata"].get("namespace") if namespaced else None
        path = self.server.collection_path(obj["apiVersion"], plural, namespace)
        created = self.server.request("POST", f"{path}?fieldManager={manager}", obj)
        if status is not None:
            created = self.set_status(obj["apiVersion"], obj["kind"], namespace, obj["metadata"]["name"], status)
        return created

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict | None:
        """The object, or None. ``kind`` may be the Kind or the plural."""
        try:
            return self.server.request("GET", self._path(api_version, kind, namespace, name))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list_objects(
        self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None
    ) -> list[dict]:
        """Objects of a kind (in a namespace, or all), each with apiVersion and kind filled in."""
        plural, _ = self.server.resource(api_version, kind)
        query = {"labelSelector": label_selector} if label_selector else {}
        path = self.server.collection_path(api_version, plural, namespace)
        listed = self.server.request("GET", path + ("?" + urlencode(query) if query else ""))
        items = listed.get("items") or []
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", listed["kind"].removesuffix("List"))
        return items

    def patch_out_of_band(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch,
        *,
        patch_type: str = "merge",
        manager: str = "kubectl-edit",
    ) -> dict:
        """Patch as `kubectl patch/edit` would; ``patch_type`` is "merge", "strategic" or "json"."""
        content_type = {
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "json": "application/json-patch+json",
        }[patch_type]
        path = self._path(api_version, kind, namespace, name)
        return self.server.request("PATCH", f"{path}?fieldManager={manager}", patch, content_type=content_type)

    def apply_out_of_band(self, obj: dict, *, manager: str = "kubectl", force: bool = False) -> dict:
        """Server-side apply as another field manager (`kubectl apply --server-side`); 409 on a conflict unless
        ``force``."""
        obj = copy.deepcopy(obj)
        if self.server.resource(obj["apiVersion"], obj["kind"])[1]:
            obj["metadata"].setdefault("namespace", self.namespace)
        return self.server.apply(obj, manager=manager, force=force)

    def replace_out_of_band(self, obj: dict, *, manager: str = "kubectl-replace") -> dict:
        """PUT semantics (`kubectl replace`), at the object's current resourceVersion unless ``obj`` names one."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        namespace = (
            meta.get("namespace", self.namespace) if self.server.resource(obj["apiVersion"], obj["kind"])[1] else None
        )
        path = self._path(obj["apiVersion"], obj["kind"], namespace, meta["name"])
        if "resourceVersion" not in meta:
            meta["resourceVersion"] = self.server.request("GET", path)["metadata"]["resourceVersion"]
        return self.server.request("PUT", f"{path}?fieldManager={manager}", obj)

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> bool:
        """Delete as `kubectl delete` would (finalizers still hold it); False if it did not exist."""
        try:
            self.server.request("DELETE", self._path(api_version, kind, namespace, name))
            return True
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise

    # The controllers that do not run here

    def set_status(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        status: dict,
        *,
        manager: str = "test-controller",
    ) -> dict:
        """Replace an object's status through its status subresource, as its controller would."""
        path = self._path(api_version, kind, namespace, name)
        for _ in range(5):
            current = self.server.request("GET", path)
            current["status"] = copy.deepcopy(status)
            try:
                return self.server.request("PUT", f"{path}/status?fieldManager={manager}", current)
            except ApiError as exc:
                if exc.status != 409:  # someone wrote in between: read again
                    raise
        raise AssertionError(f"Could not write the status of {path}: conflicts")

    def set_ingress_address(self, name: str, address: str = "203.0.113.7", *, namespace: str | None = None) -> dict:
        """The ingress controller publishes the load balancer's address on the Ingress (``""``: none)."""
        entry = {"hostname": address} if address and not address[0].isdigit() else {"ip": address}
        return self.set_status(
            "networking.k8s.io/v1",
            "Ingress",
            namespace or self.namespace,
            name,
            {"loadBalancer": {"ingress": [entry] if address else []}},
        )

    def set_certificate_ready(
        self,
        name: str,
        ready: bool = True,
        *,
        reason: str | None = None,
        message: str = "",
        not_after: str = FAR_FUTURE,
        namespace: str | None = None,
        **status,
    ) -> dict:
        """cert-manager marks a Certificate Ready (or not, with ``reason``) and records its expiry."""
        condition = {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": reason or ("Ready" if ready else "Pending"),
            "message": message,
            "lastTransitionTime": A_WHILE_AGO,
        }
        body = {"conditions": [condition], **status}
        if ready:
            body.setdefault("notAfter", not_after)
        return self.set_status("cert-manager.io/v1", "Certificate", namespace or self.namespace, name, body)

    def set_gateway_status(
        self,
        name: str,
        namespace: str,
        *,
        address: str | None = "203.0.113.9",
        programmed: bool = True,
        listeners: list[dict] | None = None,
    ) -> dict:
        """The Gateway's controller: Accepted and Programmed (or not), its address, and per listener status
        (``listeners`` as the Gateway API CRD requires them; one Programmed entry per spec listener if None)."""
        gateway = self.get("gateway.networking.k8s.io/v1", "Gateway", namespace, name)
        generation = gateway["metadata"].get("generation", 1)

        def condition(kind, ok, reason):
            return {
                "type": kind,
                "status": "True" if ok else "False",
                "reason": reason,
                "message": "",
                "lastTransitionTime": A_WHILE_AGO,
                "observedGeneration": generation,
            }

        if listeners is None:
            listeners = [
                {
                    "name": listener["name"],
                    "attachedRoutes": 0,
                    "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                    "conditions": [condition("Programmed", programmed, "Programmed" if programmed else "Pending")],
                }
                for listener in gateway["spec"]["listeners"]
            ]
        status = {
            "conditions": [
                condition("Accepted", True, "Accepted"),
                condition("Programmed", programmed, "Programmed" if programmed else "Pending"),
            ],
            "listeners": listeners,
        }
        if address:
            status["addresses"] = [{"type": "IPAddress" if address[0].isdigit() else "Hostname", "value": address}]
        return self.set_status("gateway.networking.k8s.io/v1", "Gateway", namespace, name, status)

    def set_httproute_status(
        self,
        name: str,
        parent_ref: dict,
        *,
        accepted=("True", "Accepted", ""),
        resolved=("True", "ResolvedRefs", ""),
        controller: str = "example.com/gateway",
        namespace: str | None = None,
    ) -> dict:
        """The Gateway's controller reports on an HTTPRoute for one parentRef: Accepted and ResolvedRefs, each
        (status, reason, message)."""
        route = self.get("gateway.networking.k8s.io/v1", "HTTPRoute", namespace or self.namespace, name)
        generation = route["metadata"].get("generation", 1)
        conditions = [
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastTransitionTime": A_WHILE_AGO,
                "observedGeneration": generation,
            }
            for kind, (status, reason, message) in (("Accepted", accepted), ("ResolvedRefs", resolved))
        ]
        return self.set_status(
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            namespace or self.namespace,
            name,
            {"parents": [{"parentRef": parent_ref, "controllerName": controller, "conditions": conditions}]},
        )

    # etcd

    def compact(self) -> int:
        """Compact etcd's history up to its current revision, as kube-apiserver does every 5 minutes
        (--etcd-compaction-interval): continue tokens and resourceVersions from before are too old now, and
        requests that need them from etcd answer 410 Gone. Returns the revision compacted at.

        Lists served from the API server's watch cache keep their snapshots a while longer; kinds without a
        watch cache (Events) reach etcd at once."""
        http = urllib3.PoolManager()
        url = self.etcd_url
        answer = http.request("POST", f"{url}/v3/kv/range", body=json.dumps({"key": base64.b64encode(b"/").decode()}))
        revision = int(json.loads(answer.data)["header"]["revision"])
        done = http.request(
            "POST", f"{url}/v3/kv/compaction", body=json.dumps({"revision": revision, "physical": True})
        )
        assert done.status == 200, done.data
        return revision

    @property
    def etcd_url(self) -> str:
        """etcd's client URL (its v3 JSON gateway), from the command line the server was started with."""
        for process in self.server._processes:
            for arg in process.popen.args:
                if arg.startswith("--listen-client-urls="):
                    return arg.split("=", 1)[1].split(",")[0]
        raise AssertionError("etcd is not running")

    # Workloads, as the team's own deployment would have made them

    def service(
        self,
        name: str = "cart",
        *,
        port: int = 8080,
        selector: dict | None = None,
        namespace: str | None = None,
        **spec,
    ) -> dict:
        """A ClusterIP Service (the cluster allocates its IP)."""
        body = {
            "selector": selector if selector is not None else {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": port}],
            **spec,
        }
        return self.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace or self.namespace},
                "spec": body,
            }
        )

    def endpoint_slice(
        self,
        service: str = "cart",
        *,
        addresses=("10.0.0.5",),
        ready: bool = True,
        port: int = 8080,
        name: str | None = None,
        namespace: str | None = None,
    ) -> dict:
        """An EndpointSlice for ``service``, as the EndpointSlice controller would make it from its pods."""
        return self.create(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name or f"{service}-abc",
                    "namespace": namespace or self.namespace,
                    "labels": {
                        "kubernetes.io/service-name": service,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [address], "conditions": {"ready": ready}} for address in addresses],
                "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
            }
        )

    def serve(self, name: str = "cart", *, port: int = 8080, ready: bool = True) -> dict:
        """Service ``name`` with one pod behind it (ready unless told): what serve_cart seeds on the emulator."""
        service = self.service(name, port=port)
        self.endpoint_slice(name, port=port, ready=ready)
        return service

    # Clean-up (called by the fixture)

    def _path(self, api_version: str, kind: str, namespace: str | None, name: str) -> str:
        plural, namespaced = self.server.resource(api_version, kind)
        return self.server.collection_path(api_version, plural, namespace if namespaced else None) + f"/{name}"

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


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


class _Discard:
    def write(self, *_):
        pass

    def flush(self):
        pass


def recorder(requests: list[RecordedRequest]):
    """A replacement for KubeClient.request that records each call with the status the server answered."""
    from clusters.kube import KubeClient, KubeError

    original = KubeClient.request

    def request(self, method, path, *, query=None, body=None, content_type=None):
        record = RecordedRequest(method, path.split("?")[0], dict(query or []), content_type, 0, self.name, body)
        requests.append(record)
        call_api = self.api.call_api

        def answered(*args, **kwargs):
            response = call_api(*args, **kwargs)
            record.status = response.status
            return response

        self.api.call_api = answered
        try:
            return original(self, method, path, query=query, body=body, content_type=content_type)
        except KubeError as exc:
            # The API server's own words (an RBAC refusal names the permission) are the Status message, kept as
            # ``explanation``; ``message`` names the status only (docs/security.md, "Outbound requests").
            record.status, record.error = exc.status, exc.explanation
            raise
        finally:
            del self.api.call_api

    return request
