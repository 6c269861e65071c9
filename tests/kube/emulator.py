"""A Kubernetes API server emulator for synchronous tests: kmock served from a background thread.

    with KubeEmulator() as kube:
        api = kubernetes.config.new_client_from_config_dict(kube.kubeconfig())
        kubernetes.client.CoreV1Api(api).create_namespace({"metadata": {"name": "shop"}})
        assert kube.get("v1", "Namespace", None, "shop")["status"]["phase"] == "Active"

The emulator listens on 127.0.0.1 (a free port) over HTTPS, like every API server (Portico refuses
cluster addresses without TLS; its kubeconfig carries the emulator's CA), and runs its own asyncio event loop
in a daemon thread, so test code, the Django test client and the reconciler can all call it synchronously.
What it emulates and what it does not is described in `ObjectStore` and in tests/kube/README.md.
"""

import asyncio
import base64
import copy
import ssl
import tempfile
import threading
from pathlib import Path

import aiohttp.test_utils
import aiohttp.web
import kmock

from clusters.devcluster.pki import ensure_pki
from tests.kube.api_errors import ApiError
from tests.kube.faults import FaultInjection
from tests.kube.handler import DEFAULT_VERSION_INFO, KubeApiHandler
from tests.kube.patching import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH
from tests.kube.request import RecordedRequest
from tests.kube.resources import ResourceType
from tests.kube.selectors import parse_label_selector

__all__ = ["ApiError", "KubeEmulator", "RecordedRequest", "ResourceType"]

_PATCH_TYPES = {"merge": MERGE_PATCH, "strategic": STRATEGIC_MERGE_PATCH, "json": JSON_PATCH}


class KubeEmulator(FaultInjection):
    """An emulated API server: start()/stop() or use as a context manager; reset() between tests.

    Helpers named after kubectl verbs act "out of band", as another actor would (a person with
    kubectl, a controller): they change the store without going through HTTP, so they do not appear
    in `requests`, but they follow the same rules (resourceVersion, managedFields, validation).
    """

    DEFAULT_TOKEN = "portico-emulator-token"

    def __init__(self, *, token: str = DEFAULT_TOKEN) -> None:
        self.handler = KubeApiHandler(token=token)
        self._token = token
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: kmock.Server | None = None
        # A CA and a serving certificate for 127.0.0.1, made once per emulator (clusters/devcluster/pki.py) and
        # kept in memory only.
        with tempfile.TemporaryDirectory(prefix="kube-emulator-") as folder:
            pki = ensure_pki(Path(folder) / "pki")
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(pki.serving_cert, pki.serving_key)
            self._ca_pem = pki.ca_pem
        self._stopping: asyncio.Event | None = None
        self._restore_timer: asyncio.TimerHandle | None = None
        self._port: int | None = None

    # Lifecycle.

    def start(self) -> "KubeEmulator":
        """Start serving; returns once the port is open."""
        if self._thread is not None:
            raise RuntimeError("The emulator is already running.")
        ready = threading.Event()
        failures: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve(ready))
            except BaseException as exc:  # noqa: BLE001 - reported to start() below; a daemon thread has nobody else to tell
                failures.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, name="kube-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout=30) or failures:
            self._thread = None
            raise RuntimeError("The Kubernetes API emulator did not start.") from (failures[0] if failures else None)
        return self

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        async with self.handler, kmock.Server(self.handler, host="127.0.0.1", server_cls=self._server_cls()) as server:
            self._server = server
            self._port = server.port
            ready.set()
            await self._stopping.wait()
        self._server = None

    def _server_cls(self) -> type[aiohttp.test_utils.RawTestServer]:
        tls = self._tls

        class TLSServer(aiohttp.test_utils.RawTestServer):
            async def start_server(self, loop=None, **kwargs):
                await super().start_server(loop=loop, ssl=tls, **kwargs)

        return TLSServer

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=30)
        self._thread = self._loop = self._stopping = self._port = None

    def __enter__(self) -> "KubeEmulator":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to a fresh server: no objects, no requests, no faults, default resources and version,
        listening again if connections were refused. Open watches end."""
        self.restore()
        self.handler.faults.clear()
        self.handler.store.clear()
        self.handler.log.clear()
        self.handler.server_errors.clear()
        self.handler.version_info = dict(DEFAULT_VERSION_INFO)
        self.handler.token = self._token
        # kmock keeps every request it dispatched (discovery ones here) and every error it answered.
        self.handler._requests.clear()
        if self.handler.active:
            self.handler.errors.clear()

    # Connection details.

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("The emulator is not running.")
        return self._port

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_data(self) -> str:
        """The CA that signed the emulator's certificate, base64 as a kubeconfig's certificate-authority-data."""
        return base64.b64encode(self._ca_pem).decode()

    @property
    def token(self) -> str | None:
        return self.handler.token

    def kubeconfig(self, *, namespace: str = "default") -> dict:
        """A kubeconfig for this server (inline token, no files), as Portico stores one."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "emulator", "cluster": {"server": self.url, "certificate-authority-data": self.ca_data}}
            ],
            "users": [{"name": "portico", "user": {"token": self.handler.token or ""}}],
            "contexts": [
                {"name": "emulator", "context": {"cluster": "emulator", "user": "portico", "namespace": namespace}}
            ],
            "current-context": "emulator",
        }

    def set_version(self, minor: str | int = "37", *, major: str | int = "1", git_version: str | None = None) -> None:
        """What GET /version answers, e.g. set_version(29) for an older cluster."""
        self.handler.version_info.update(
            major=str(major),
            minor=str(minor),
            gitVersion=git_version or f"v{major}.{minor}.0",
        )

    # The request log.

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last reset/clear, oldest first."""
        return list(self.handler.log)

    def writes(self) -> list[RecordedRequest]:
        """The POST, PUT, PATCH and DELETE requests among `requests`."""
        return [record for record in self.handler.log if record.is_write]

    def clear_requests(self) -> None:
        self.handler.log.clear()

    @property
    def open_watches(self) -> int:
        """How many watch streams are open (to wait until a watching client is listening)."""
        return self.handler.store.open_watches

    @property
    def server_errors(self) -> list[BaseException]:
        """Exceptions the emulator raised while serving (its own bugs; answered as 500)."""
        return list(self.handler.server_errors)

    # The object store, as another actor sees it.

    @property
    def require_namespaces(self) -> bool:
        """When true, namespaced objects can only be created in existing Namespaces (404 otherwise)."""
        return self.handler.store.require_namespaces

    @require_namespaces.setter
    def require_namespaces(self, value: bool) -> None:
        self.handler.store.require_namespaces = value

    def resource_type(self, api_version: str, kind: str) -> ResourceType:
        """The served type for an apiVersion and a plural, Kind, singular or short name."""
        return self.handler.store.resolve(api_version, kind)

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict | None:
        """The stored object (a copy), or None. `kind` may be the plural, the Kind or a short name."""
        return self.handler.store.find(self.resource_type(api_version, kind), namespace, name)

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
    ) -> list[dict]:
        """Stored objects of a type (copies, sorted by namespace and name), optionally filtered."""
        rtype = self.resource_type(api_version, kind)
        return self.handler.store.select(rtype, namespace, parse_label_selector(label_selector))

    def history(self, api_version: str, kind: str, namespace: str | None, name: str) -> list[dict | None]:
        """Every stored version of an object, oldest first; None marks a deletion."""
        return self.handler.store.history(self.resource_type(api_version, kind), namespace, name)

    def create(self, obj: dict, *, manager: str = "kubectl-create", keep_status: bool = True) -> dict:
        """Create an object as another actor would (namespace from its metadata); `status` is kept,
        so a seed can be born Ready. Raises ApiError as the API would (409, 422...)."""
        rtype = self.resource_type(obj.get("apiVersion", ""), obj.get("kind", ""))
        return self.handler.store.create(rtype, None, copy.deepcopy(obj), manager=manager, keep_status=keep_status)

    def replace_out_of_band(self, obj: dict, *, manager: str = "kubectl-replace") -> dict:
        """PUT semantics (`kubectl replace`): the object becomes `obj`, except its status."""
        rtype = self.resource_type(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        return self.handler.store.replace(
            rtype, meta.get("namespace"), meta.get("name", ""), copy.deepcopy(obj), manager=manager
        )

    def patch_out_of_band(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: dict | list,
        *,
        patch_type: str = "merge",
        manager: str = "kubectl-edit",
    ) -> dict:
        """Patch as `kubectl patch/edit` would; `patch_type` is "merge", "strategic" or "json"."""
        rtype = self.resource_type(api_version, kind)
        return self.handler.store.patch(
            rtype,
            namespace,
            name,
            copy.deepcopy(patch),
            _PATCH_TYPES[patch_type],
            manager=manager,
        )[1]

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> bool:
        """Delete as `kubectl delete` would (finalizers still hold it); False if it did not exist."""
        try:
            self.handler.store.delete(self.resource_type(api_version, kind), namespace, name)
        except ApiError as error:
            if error.code == 404:
                return False
            raise
        return True

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
        """Replace an object's status as its controller would (ingress address, Certificate Ready...)."""
        rtype = self.resource_type(api_version, kind)
        current = self.handler.store.get(rtype, namespace, name)
        current["status"] = copy.deepcopy(status)
        return self.handler.store.replace(
            rtype, namespace, name, current, manager=manager, subresource="status" if rtype.has_status else None
        )

    def add_resource(
        self,
        api_version: str,
        plural: str,
        kind: str,
        *,
        namespaced: bool = True,
        has_status: bool = True,
        builtin: bool = False,
    ) -> ResourceType:
        """Serve one more resource type (creating a CustomResourceDefinition object does this too)."""
        group, _, version = api_version.rpartition("/")
        rtype = ResourceType(
            group, version, plural, kind, namespaced=namespaced, builtin=builtin, has_status=has_status
        )
        self.handler.store.add_type(rtype)
        return rtype

    def remove_api_group(self, group: str) -> None:
        """Stop serving an API group (e.g. "cert-manager.io": as if cert-manager were not installed)."""
        self.handler.store.remove_group(group)
