"""RealKube: what a test does to the local kube-apiserver besides running Portico (tests/realkube/README.md).

It plays the other actors: a person with kubectl (create, edit, apply as another field manager, delete), the
controllers that do not run here (Ingress addresses, Certificate readiness, Gateway and HTTPRoute status, all
written through the status subresource; EndpointSlices created as objects), and the platform engineer who
registers the cluster in Portico. Every call here is made as the admin identity (system:masters). The stand-ins for
controllers and workloads are in controllers.py, the clean-up in cleaner.py, the request log in recording.py.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import kubernetes
import yaml

from clusters.devcluster import ApiError, LocalCluster
from clusters.devcluster.server import CRD_DIR
from tests.realkube.cleaner import Cleaner
from tests.realkube.controllers import StandIns
from tests.realkube.recording import RecordedRequest, recorder

# Importable from here as before (tests/realkube/fixtures.py, tests/traffic/fixtures.py, bench/local_server.py).
__all__ = ["CRD_DIR", "Cleaner", "RealKube", "RecordedRequest", "recorder"]


class RealKube(StandIns):
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
        """Requests that change the cluster: not SelfSubjectAccessReviews (a question, never stored)."""
        return [
            r
            for r in self.requests
            if r.method in {"POST", "PUT", "PATCH", "DELETE"} and not r.path.endswith("/selfsubjectaccessreviews")
        ]

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

    # Clean-up (called by the fixture)

    def _path(self, api_version: str, kind: str, namespace: str | None, name: str) -> str:
        plural, namespaced = self.server.resource(api_version, kind)
        return self.server.collection_path(api_version, plural, namespace if namespaced else None) + f"/{name}"

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


class _Discard:
    def write(self, *_):
        pass

    def flush(self):
        pass
