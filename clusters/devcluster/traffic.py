"""A real data path beside the local API server: Traefik and cert-manager's controller, out of cluster, no containers.

Used by the traffic tests (tests/traffic) and `make run`'s live demo. Both are built from their Go modules by
``scripts/kube-bins.sh --traffic`` (tools/traefik, tools/cert-manager; README, "A real data path").

``TrafficPlane(cluster, workdir).start()`` on a started ``LocalCluster``:

- applies controllers/traefik-rbac.yaml and controllers/cert-manager-rbac.yaml (each controller's
  least-privilege identity, a ServiceAccount, with the rules its Helm chart grants) and gives each a real
  ServiceAccount token from the TokenRequest API;
- adds IngressClass ``traefik`` (controller ``traefik.io/ingress-controller``) and GatewayClass ``traefik``;
- starts cert-manager's controller (kubeconfig with its token, no leader election, cluster resource namespace
  ``cert-manager``) and sets up a CA: ClusterIssuer ``portico-selfsigned`` issues Certificate
  ``cert-manager/portico-local-ca`` (isCA), which ClusterIssuer ``portico-ca`` signs with; ``ca_pem`` is that CA,
  so a client verifies what Traefik serves against it;
- starts Traefik with entry points ``web`` (HTTP) and ``websecure`` (HTTPS) on loopback ports chosen now, its
  Kubernetes Ingress and Gateway API providers on the API server, and the Ingress/Gateway status address
  ``lb_address`` published by Traefik itself (``ingressEndpoint.ip``, ``statusAddress.ip``).

Backends are whatever listens on the addresses of the EndpointSlices: small HTTP servers on this machine's own
address (``backend_address``: the API server refuses loopback addresses in EndpointSlices), each on a port of its
own. No kubelet, no kube-proxy, no pods run here. The processes die with the thread that started them, like the API
server's.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from pathlib import Path

import urllib3
import yaml

from .processes import Processes
from .server import ApiError, LocalCluster, LocalClusterError, free_port

HERE = Path(__file__).resolve().parent
CONTROLLERS_DIR = HERE / "controllers"
TRAEFIK_RBAC = CONTROLLERS_DIR / "traefik-rbac.yaml"
CERT_MANAGER_RBAC = CONTROLLERS_DIR / "cert-manager-rbac.yaml"
KUBE_BINS = HERE.parents[1] / "scripts" / "kube-bins.sh"

INGRESS_CLASS = "traefik"
INGRESS_CONTROLLER = "traefik.io/ingress-controller"
GATEWAY_CLASS = "traefik"
GATEWAY_CONTROLLER = "traefik.io/gateway-controller"
TRAEFIK_NAMESPACE, TRAEFIK_ACCOUNT = "traefik-system", "traefik"
CERT_MANAGER_NAMESPACE, CERT_MANAGER_ACCOUNT = "cert-manager", "cert-manager"
SELF_SIGNED_ISSUER = "portico-selfsigned"
CA_ISSUER = "portico-ca"
CA_CERTIFICATE = "portico-local-ca"  # Certificate and Secret, in CERT_MANAGER_NAMESPACE
BINARIES = ("traefik", "cert-manager-controller")
TOKEN_SECONDS = 7 * 24 * 3600


class TrafficBinariesMissing(LocalClusterError):
    """Traefik or cert-manager's controller has not been built on this machine."""


def traffic_binaries(bin_dir: str | Path | None = None) -> Path:
    """The folder holding traefik and cert-manager-controller: ``bin_dir``, else $PORTICO_TRAFFIC_BIN_DIR, else
    the cache folder ``scripts/kube-bins.sh --traffic`` builds into. Raises TrafficBinariesMissing, saying how
    to build them, when they are not there."""
    if bin_dir is None:
        bin_dir = os.environ.get("PORTICO_TRAFFIC_BIN_DIR")
    if not bin_dir:
        try:
            bin_dir = subprocess.run(
                [str(KUBE_BINS), "--traffic", "--print-dir"], check=True, capture_output=True, text=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise TrafficBinariesMissing(f"Cannot locate the Traefik/cert-manager cache ({exc}).") from exc
    folder = Path(bin_dir)
    missing = [name for name in BINARIES if not os.access(folder / name, os.X_OK)]
    if missing:
        raise TrafficBinariesMissing(
            f"{' and '.join(missing)} not built in {folder}. Build them once with `make kube-bins` (Go and the Go "
            "module proxy; the first build takes a while, see README), or point PORTICO_TRAFFIC_BIN_DIR at a folder "
            "holding traefik and cert-manager-controller. `make test` and `make run` build them first."
        )
    return folder


class TrafficPlane:
    """Traefik and cert-manager's controller against ``cluster``, their files and logs in ``workdir``."""

    def __init__(
        self,
        cluster: LocalCluster,
        workdir: str | Path,
        *,
        bin_dir: str | Path | None = None,
        address: str = "127.0.0.1",
        lb_address: str | None = None,
        https_port: int | None = None,
        http_port: int | None = None,
        startup_timeout: float = 120.0,
    ):
        self.cluster = cluster
        self.workdir = Path(workdir)
        self.bin_dir = traffic_binaries(bin_dir)
        self.address = address
        self.lb_address = lb_address or address
        self.requested_https_port, self.requested_http_port = https_port, http_port
        self.https_port: int | None = None
        self.http_port: int | None = None
        self.ping_port: int | None = None
        self.startup_timeout = startup_timeout
        self.ca_pem: bytes = b""
        self._processes = Processes(self.workdir)

    # Lifecycle

    def __enter__(self) -> TrafficPlane:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> TrafficPlane:
        self.workdir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.startup_timeout
        try:
            self._set_up_cluster()
            self._start_cert_manager()
            self._set_up_ca(deadline)
            self._start_traefik(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop Traefik and cert-manager (TERM, then KILL after 10 s). Safe to call twice."""
        self._processes.stop()

    def running(self) -> bool:
        return self._processes.running()

    def failed_process(self) -> str | None:
        return self._processes.failed()

    def log(self, name: str, lines: int = 40) -> str:
        """The last lines of ``traefik`` or ``cert-manager-controller``'s log."""
        process = self._processes.named(name)
        return process.tail(lines) if process is not None else ""

    @property
    def ca_file(self) -> Path:
        """The CA that signs every Certificate issued by ClusterIssuer ``portico-ca``, as a PEM file."""
        return self.workdir / "portico-ca.crt"

    # Set-up

    def _set_up_cluster(self) -> None:
        for path in (TRAEFIK_RBAC, CERT_MANAGER_RBAC):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    self.cluster.apply(doc)
        self.cluster.apply(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": INGRESS_CLASS},
                "spec": {"controller": INGRESS_CONTROLLER},
            }
        )
        self.cluster.apply(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "GatewayClass",
                "metadata": {"name": GATEWAY_CLASS},
                "spec": {"controllerName": GATEWAY_CONTROLLER},
            }
        )
        self._write(self.workdir / "api-ca.crt", self.cluster.keys.ca_pem)
        self._write(
            self.workdir / "traefik.token", self.service_account_token(TRAEFIK_NAMESPACE, TRAEFIK_ACCOUNT).encode()
        )
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "cert-manager",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {
                        "server": self.cluster.url,
                        "certificate-authority-data": base64.b64encode(self.cluster.keys.ca_pem).decode(),
                    },
                }
            ],
            "users": [
                {
                    "name": "cert-manager",
                    "user": {"token": self.service_account_token(CERT_MANAGER_NAMESPACE, CERT_MANAGER_ACCOUNT)},
                }
            ],
            "contexts": [{"name": "cert-manager", "context": {"cluster": "local", "user": "cert-manager"}}],
        }
        self._write(self.workdir / "cert-manager.kubeconfig", yaml.safe_dump(kubeconfig).encode())

    def service_account_token(self, namespace: str, name: str) -> str:
        """A bound token of ServiceAccount ``namespace/name`` from the TokenRequest API, as a pod would get."""
        answer = self.cluster.request_object(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": TOKEN_SECONDS},
            },
        )
        return answer["status"]["token"]

    def _start_cert_manager(self) -> None:
        self._processes.spawn(
            "cert-manager-controller",
            [
                str(self.bin_dir / "cert-manager-controller"),
                f"--kubeconfig={self.workdir / 'cert-manager.kubeconfig'}",
                "--leader-elect=false",
                f"--cluster-resource-namespace={CERT_MANAGER_NAMESPACE}",
                # A failed request is tried again after a minute, not upstream's hour: tests and the demo fix a
                # cause and watch the Certificate recover.
                "--certificate-request-minimum-backoff-duration=1m",
                "--v=1",
            ],
        )

    def _set_up_ca(self, deadline: float) -> None:
        self.cluster.apply(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": SELF_SIGNED_ISSUER},
                "spec": {"selfSigned": {}},
            }
        )
        self.cluster.apply(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": CA_CERTIFICATE, "namespace": CERT_MANAGER_NAMESPACE},
                "spec": {
                    "isCA": True,
                    "commonName": "Portico local CA",
                    "secretName": CA_CERTIFICATE,
                    "duration": "8760h",
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                    "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},
                },
            }
        )
        self.cluster.apply(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": CA_ISSUER},
                "spec": {"ca": {"secretName": CA_CERTIFICATE}},
            }
        )
        secret_path = f"/api/v1/namespaces/{CERT_MANAGER_NAMESPACE}/secrets/{CA_CERTIFICATE}"
        issuer_path = f"/apis/cert-manager.io/v1/clusterissuers/{CA_ISSUER}"
        while True:
            self._check_alive("cert-manager-controller")
            try:
                secret = self.cluster.request_object("GET", secret_path)
                issuer = self.cluster.request_object("GET", issuer_path)
                ready = any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (issuer.get("status") or {}).get("conditions") or []
                )
                if ready and (secret.get("data") or {}).get("tls.crt"):
                    self.ca_pem = base64.b64decode(secret["data"]["tls.crt"])
                    self._write(self.ca_file, self.ca_pem)
                    return
            except ApiError as exc:
                if exc.status != 404:
                    raise
            if time.monotonic() > deadline:
                raise LocalClusterError(
                    "cert-manager did not issue the local CA in time:\n" + self.log("cert-manager-controller")
                )
            time.sleep(0.25)

    def _start_traefik(self, deadline: float) -> None:
        for attempt in range(3):
            self.https_port = self.requested_https_port or free_port()
            self.http_port = self.requested_http_port or free_port()
            self.ping_port = free_port()
            kube = [
                f"--providers.{provider}.{key}={value}"
                for provider in ("kubernetesIngress", "kubernetesGateway")
                for key, value in (
                    ("endpoint", self.cluster.url),
                    ("token", self.workdir / "traefik.token"),
                    ("certAuthFilePath", self.workdir / "api-ca.crt"),
                )
            ]
            self._processes.spawn(
                "traefik",
                [
                    str(self.bin_dir / "traefik"),
                    "--global.checkNewVersion=false",
                    "--global.sendAnonymousUsage=false",
                    "--log.level=" + os.environ.get("PORTICO_TRAEFIK_LOG_LEVEL", "INFO"),
                    f"--entryPoints.web.address={self.address}:{self.http_port}",
                    f"--entryPoints.websecure.address={self.address}:{self.https_port}",
                    # Routers on websecure terminate TLS with the certificates of the Ingresses' Secrets (as the Helm
                    # chart's websecure port does); an Ingress's spec.tls only loads its certificate into the store.
                    "--entryPoints.websecure.http.tls=true",
                    f"--entryPoints.traefik.address=127.0.0.1:{self.ping_port}",
                    "--ping=true",
                    "--providers.kubernetesIngress=true",
                    # Prefix paths match whole path elements, as the Ingress specification says (/api is not /apiary).
                    "--providers.kubernetesIngress.strictPrefixMatching=true",
                    f"--providers.kubernetesIngress.ingressEndpoint.ip={self.lb_address}",
                    "--providers.kubernetesGateway=true",
                    f"--providers.kubernetesGateway.statusAddress.ip={self.lb_address}",
                    *kube,
                ],
            )
            try:
                self._wait_traefik(deadline)
                return
            except _PortTaken as exc:
                self._processes.kill_last()
                if attempt == 2 or self.requested_https_port or self.requested_http_port:
                    raise LocalClusterError("Traefik could not bind its ports (address already in use).") from exc

    def _wait_traefik(self, deadline: float) -> None:
        http = urllib3.PoolManager(retries=False)
        while True:
            process = self._processes.named("traefik")
            assert process is not None  # spawned by the caller, just before
            if process.popen.poll() is not None:
                if "address already in use" in process.tail():
                    raise _PortTaken(process.tail())
                raise LocalClusterError(f"Traefik exited with {process.popen.returncode}:\n{process.tail()}")
            try:
                if http.request("GET", f"http://127.0.0.1:{self.ping_port}/ping", timeout=2.0).status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LocalClusterError(f"Traefik did not answer its ping in time:\n{process.tail()}")
            time.sleep(0.2)

    # Helpers

    def _check_alive(self, name: str) -> None:
        process = self._processes.named(name)
        if process is not None and process.exited():
            raise LocalClusterError(process.describe_exit())

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)


class _PortTaken(LocalClusterError):
    pass


def backend_address() -> str:
    """An IPv4 address of this machine that is not loopback, for backends listed in EndpointSlices.

    The API server refuses EndpointSlice addresses in 127.0.0.0/8 ("may not be in the loopback range"), as it
    refuses link-local ones, so a backend for Traefik to reach through an EndpointSlice listens on the machine's
    own interface address instead ($PORTICO_BACKEND_ADDRESS names one). Nothing is sent to find it: a UDP socket
    "connected" to a documentation address only makes the kernel pick the source address of its route.
    """
    chosen = os.environ.get("PORTICO_BACKEND_ADDRESS")
    if chosen:
        return chosen
    for probe in ("192.0.2.1", "198.51.100.1", "10.255.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
        except OSError:
            continue
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            candidate = str(info[4][0])
            if not candidate.startswith("127."):
                return candidate
    except OSError:
        pass
    raise LocalClusterError(
        "This machine has no IPv4 address besides loopback; the traffic tests' backends need "
        "one (EndpointSlices may not list loopback addresses). Set PORTICO_BACKEND_ADDRESS."
    )


__all__ = [
    "CA_ISSUER",
    "GATEWAY_CLASS",
    "INGRESS_CLASS",
    "TrafficBinariesMissing",
    "TrafficPlane",
    "backend_address",
    "traffic_binaries",
]
