"""Start and stop a local Kubernetes API server: etcd and kube-apiserver on loopback, no nodes, no controllers.

Used by the tests (tests/realkube) and by `make dev-cluster` (``python -m clusters.devcluster``). The binaries
are built from Go modules by scripts/kube-bins.sh; see docs/dev-cluster.md for what is real here and what is not.

Once ready, the server has RBAC authorization and the default admission plugins on, the vendored CRDs
(crds/: cert-manager v1, Gateway API v1 standard channel) established, IngressClass ``nginx``, ClusterIssuer
``letsencrypt`` and deploy/target-rbac.yaml applied. Two identities hold static bearer tokens: ``admin``
(system:masters) and ``portico``, the ServiceAccount that deploy/target-rbac.yaml binds (pki.PORTICO_USER).

The two processes are started as clusters.devcluster.processes starts every local component: in a process group
of their own, killed when the Python thread that started them dies, so a crashed test run leaves no server behind.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import urllib3
import yaml

from .pki import PORTICO_USER, Pki, ensure_pki
from .processes import Processes

ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = Path(__file__).resolve().parent / "crds"
TARGET_RBAC = ROOT / "deploy" / "target-rbac.yaml"
KUBE_BINS = ROOT / "scripts" / "kube-bins.sh"
FIELD_MANAGER = "portico-devcluster"
INGRESS_CLASS = "nginx"
CLUSTER_ISSUER = "letsencrypt"
IDENTITIES = ("admin", "portico")


class BinariesMissing(RuntimeError):
    """kube-apiserver or etcd has not been built on this machine."""


class LocalClusterError(RuntimeError):
    """The local API server did not start, or a request during set-up failed."""


class ApiError(LocalClusterError):
    """A request answered with an error status; ``status`` and the Status ``body`` say which."""

    def __init__(self, method: str, path: str, status: int, body: dict | str):
        message = body.get("message", "") if isinstance(body, dict) else str(body)[:500]
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.body = body
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""


def binaries(bin_dir: str | Path | None = None) -> Path:
    """The folder holding kube-apiserver and etcd: ``bin_dir``, else $PORTICO_KUBE_BIN_DIR, else the cache folder
    scripts/kube-bins.sh builds into. Raises BinariesMissing, saying how to build them, when they are not there."""
    if bin_dir is None:
        bin_dir = os.environ.get("PORTICO_KUBE_BIN_DIR")
    if not bin_dir:
        try:
            bin_dir = subprocess.run(
                [str(KUBE_BINS), "--print-dir"], check=True, capture_output=True, text=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise BinariesMissing(f"Cannot locate the kube-apiserver/etcd cache ({exc}).") from exc
    folder = Path(bin_dir)
    missing = [name for name in ("kube-apiserver", "etcd") if not os.access(folder / name, os.X_OK)]
    if missing:
        raise BinariesMissing(
            f"{' and '.join(missing)} not built in {folder}. Build them once with `make kube-bins` (Go and the Go "
            "module proxy; the first build takes a while, see README), or point PORTICO_KUBE_BIN_DIR at a folder "
            "holding kube-apiserver and etcd. `make test` and `make dev-cluster` build them first."
        )
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    """etcd and kube-apiserver in ``workdir``: ``start()`` returns when the API server is ready and set up.

    ``port`` is the API server's (a free one when None); etcd takes free ports. ``crds``: the file names in crds/
    to install (all of them when None; each CRD's OpenAPI schema costs the server memory). The keys, certificates and tokens
    in ``workdir/pki`` are kept between starts; etcd's data is started afresh each time.
    """

    def __init__(
        self,
        workdir: str | Path,
        *,
        bin_dir: str | Path | None = None,
        port: int | None = None,
        startup_timeout: float = 240.0,
        crds: tuple[str, ...] | None = None,
    ):
        self.workdir = Path(workdir)
        self.bin_dir = binaries(bin_dir)
        self.requested_port = port
        self.port: int | None = None
        self.startup_timeout = startup_timeout
        self.crd_files = sorted(CRD_DIR.glob("*.yaml")) if crds is None else [CRD_DIR / name for name in crds]
        self.pki: Pki | None = None
        self._processes = Processes(self.workdir)
        self._http: urllib3.PoolManager | None = None

    @property
    def keys(self) -> Pki:
        if self.pki is None:
            raise LocalClusterError("The local API server has not been started.")
        return self.pki

    @property
    def _pool(self) -> urllib3.PoolManager:
        if self._http is None:
            raise LocalClusterError("The local API server has not been started.")
        return self._http

    # Lifecycle

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> LocalCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pki = ensure_pki(self.workdir / "pki")
        self._http = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_cert_data=self.keys.ca_pem.decode(), retries=False, maxsize=8
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout
        # A free port can be taken by another process between our check and the server's bind: try again then.
        for attempt in range(3):
            try:
                self._start_processes(deadline)
                break
            except _PortTaken:
                self.stop()
                if attempt == 2 or self.requested_port:
                    raise LocalClusterError(
                        "The local API server could not bind its ports (address already in use)."
                    ) from None
        try:
            self._set_up(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd (TERM, then KILL after 10 s). Safe to call twice."""
        self._processes.stop()

    def running(self) -> bool:
        return self._processes.running()

    def failed_process(self) -> str | None:
        """The name and log tail of a process that exited, if one did."""
        return self._processes.failed()

    def _start_processes(self, deadline: float) -> None:
        etcd_port, peer_port = free_port(), free_port()
        self.port = self.requested_port or free_port()
        data = self.workdir / "etcd"
        if data.exists():
            subprocess.run(["rm", "-rf", str(data)], check=True)
        etcd_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
        self._processes.spawn(
            "etcd",
            [
                str(self.bin_dir / "etcd"),
                "--name=default",
                f"--data-dir={data}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        self._processes.spawn("kube-apiserver", self._apiserver_command(etcd_url))
        self._wait_ready(deadline)

    def _apiserver_command(self, etcd_url: str, *extra: str) -> list[str]:
        """The kube-apiserver's command line: TLS with the local CA, token authentication, RBAC, on loopback."""
        pki = self.keys
        cert_dir = self.workdir / "apiserver"
        cert_dir.mkdir(exist_ok=True)
        return [
            str(self.bin_dir / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.port}",
            "--advertise-address=127.0.0.1",
            f"--cert-dir={cert_dir}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--token-auth-file={pki.token_file}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-cluster-ip-range=10.96.0.0/16",
            # No nodes run here, and the "kubernetes" Service's endpoint would be a loopback address, which the
            # endpoint reconciler refuses and logs every few seconds.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            *extra,
        ]

    def _wait_ready(self, deadline: float) -> None:
        while True:
            failed = self.failed_process()
            if failed:
                if "address already in use" in failed:
                    raise _PortTaken(failed)
                raise LocalClusterError(f"The local API server did not start: {failed}")
            try:
                response = self._pool.request(
                    "GET",
                    f"{self.url}/readyz",
                    timeout=5.0,
                    headers={"Authorization": f"Bearer {self.keys.admin_token}"},
                )
                if response.status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            if time.monotonic() > deadline:
                tails = self._processes.tails()
                raise LocalClusterError(
                    f"The local API server was not ready within {self.startup_timeout:.0f} s:\n{tails}"
                )
            time.sleep(0.25)

    # Set-up

    def _set_up(self, deadline: float) -> None:
        crds = [
            doc for path in self.crd_files for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if doc
        ]
        for crd in crds:
            self.apply(crd)
        for crd in crds:
            self._wait_served(crd, deadline)
        self.apply(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {"controller": "k8s.io/ingress-nginx"},
            }
        )
        self.apply(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": CLUSTER_ISSUER},
                "spec": {"selfSigned": {}},
            }
        )
        self.apply_rbac(TARGET_RBAC.read_text())

    def apply_rbac(self, text: str) -> None:
        """Apply every document of an RBAC manifest (deploy/target-rbac.yaml or a variant of it) as admin."""
        for doc in yaml.safe_load_all(text):
            if doc:
                self.apply(doc)

    def _wait_served(self, crd: dict, deadline: float) -> None:
        """Until the CRD is Established, its resource answers a list (the handler starts a moment later) and
        discovery names it (updated apart from the handler: with few CRDs the list can answer first)."""
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("storage"))
        plural = spec["names"]["plural"]
        group_version = f"/apis/{spec['group']}/{version}"
        while True:
            try:
                self.request("GET", f"{group_version}/{plural}?limit=1")
                if any(r["name"] == plural for r in self.request_object("GET", group_version)["resources"]):
                    return
            except ApiError as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise LocalClusterError(f"Discovery does not name {plural} in {group_version}.")
            time.sleep(0.1)

    # Requests

    def kubeconfig(self, identity: str = "portico", *, token: str | None = None) -> dict:
        """An inline kubeconfig (server, certificate-authority-data, token) for ``identity`` ("admin" or
        "portico"), or for any bearer ``token``; TLS is verified against the local CA."""
        token = token or self.token(identity)
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": identity,
            "clusters": [
                {
                    "name": "dev-cluster",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.keys.ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": identity, "user": {"token": token}}],
            "contexts": [{"name": identity, "context": {"cluster": "dev-cluster", "user": identity}}],
        }

    def token(self, identity: str) -> str:
        if identity == "admin":
            return self.keys.admin_token
        if identity == "portico":
            return self.keys.portico_token
        raise ValueError(f"Unknown identity {identity!r}: {IDENTITIES}")

    def request(
        self,
        method: str,
        path: str,
        body: dict | list | None = None,
        *,
        content_type: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> dict | None:
        """One call as admin (or with ``token``); the decoded JSON answer. Raises ApiError for an error status."""
        headers = {"Authorization": f"Bearer {token or self.keys.admin_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            data = json.dumps(body).encode()
        response = self._pool.request(method, self.url + path, body=data, headers=headers, timeout=timeout)
        payload: dict | str
        try:
            payload = json.loads(response.data) if response.data else {}
        except ValueError:
            payload = response.data.decode(errors="replace")
        if response.status >= 400:
            raise ApiError(method, path.split("?")[0], response.status, payload)
        return payload if isinstance(payload, dict) else None

    def apply(self, obj: dict, *, manager: str = FIELD_MANAGER, force: bool = True, token: str | None = None) -> dict:
        """Server-side apply as ``manager`` (admin unless ``token``)."""
        path = self.path_of(obj)
        query = f"?fieldManager={manager}" + ("&force=true" if force else "")
        return self.request_object("PATCH", path + query, obj, content_type="application/apply-patch+yaml", token=token)

    def request_object(self, method: str, path: str, body: dict | None = None, **kwargs) -> dict:
        """Like :meth:`request`, for calls that must answer a JSON object (an object, a list, a TokenRequest)."""
        answer = self.request(method, path, body, **kwargs)
        if answer is None:
            raise LocalClusterError(f"{method} {path.split('?')[0]} answered no JSON object.")
        return answer

    def path_of(self, obj: dict) -> str:
        """The URL path of one object, from the served resources (CRDs included)."""
        meta = obj["metadata"]
        plural, namespaced = self.resource(obj["apiVersion"], obj["kind"])
        return (
            self.collection_path(obj["apiVersion"], plural, meta.get("namespace") if namespaced else None)
            + f"/{meta['name']}"
        )

    @staticmethod
    def collection_path(api_version: str, plural: str, namespace: str | None = None) -> str:
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        return f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) for a Kind, a plural or a singular name, from discovery (cached)."""
        cache = self.__dict__.setdefault("_resources", {})
        if api_version not in cache:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            cache[api_version] = [r for r in self.request_object("GET", base)["resources"] if "/" not in r["name"]]
        for r in cache[api_version]:
            if kind in (r["kind"], r["name"], r.get("singularName")):
                return r["name"], r["namespaced"]
        cache.pop(api_version)
        raise LocalClusterError(f"The API server serves no {kind} in {api_version}.")

    def forget_discovery(self) -> None:
        self.__dict__.pop("_resources", None)


class _PortTaken(LocalClusterError):
    pass


__all__ = ["PORTICO_USER", "ApiError", "BinariesMissing", "LocalCluster", "LocalClusterError", "binaries"]
