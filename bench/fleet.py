"""Many clusters on one machine: one etcd, and one kube-apiserver process per cluster, each storing its objects
under its own ``--etcd-prefix`` (so no cluster sees another's objects, as Portico needs: it lists what carries
its label across all namespaces and prunes what it owns but no longer wants), and a delaying TCP proxy that
makes one of them a slow cluster.

Each server is clusters.devcluster's LocalCluster (TLS, RBAC authorization, deploy/target-rbac.yaml applied, server-side
apply, the cert-manager CRDs with their validation), started against the shared etcd instead of an etcd of its own,
and trimmed to what an Ingress cluster of Portico's needs (FLEET_CRDS, FLEET_ARGS, FLEET_ENV; measured one by one in
bench/notes.md, "Many clusters"): ~400 MiB resident each with everything, ~230 MiB trimmed.
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import threading
import time
from pathlib import Path

from clusters.devcluster.processes import Processes
from clusters.devcluster.server import LocalCluster, free_port

# The fleet's clusters take Ingress output with cert-manager: no Gateway API, Traefik or ACME CRDs (their OpenAPI
# schemas are ~90 MiB of each server). The tests' server (tests/realkube) keeps every CRD.
FLEET_CRDS = ("cert-manager.io_certificates.yaml", "cert-manager.io_clusterissuers.yaml")
# No API groups nor admission plugins for what no Portico sync touches (Jobs, autoscaling, PodDisruptionBudgets,
# RuntimeClasses, priority and storage classes, events.k8s.io, DRA, pod security; the plugins read the groups'
# informers, so both go together), no priority-and-fairness queues (one client per server).
FLEET_ARGS = (
    "--enable-priority-and-fairness=false",
    "--runtime-config="
    + ",".join(
        f"{group}=false"
        for group in (
            "batch/v1",
            "autoscaling/v1",
            "autoscaling/v2",
            "policy/v1",
            "node.k8s.io/v1",
            "events.k8s.io/v1",
            "flowcontrol.apiserver.k8s.io/v1",
            "resource.k8s.io/v1",
            "scheduling.k8s.io/v1",
            "storage.k8s.io/v1",
        )
    ),
    "--disable-admission-plugins="
    + ",".join(
        (
            "RuntimeClass",
            "Priority",
            "DefaultStorageClass",
            "StorageObjectInUseProtection",
            "PersistentVolumeClaimResize",
            "PodSecurity",
        )
    ),
)
FLEET_ENV = {"GOGC": "50"}
# A server is started only while the machine has this much memory available beyond what it will take.
MEMORY_RESERVE_KIB = 2 * 1024 * 1024
SERVER_KIB = 400 * 1024


def available_kib() -> int:
    """MemAvailable: what the machine can still give without swapping (it has no swap)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A process's resident memory now (VmRSS; RssAnon: without the mapped binary, which the servers share), 0
    once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100.0  # utime, stime in clock ticks (USER_HZ = 100)
    except (OSError, IndexError, ValueError):
        return 0.0


class SharedEtcd:
    """One etcd (``--unsafe-no-fsync``, as the tests' server) for every API server of the fleet."""

    def __init__(self, workdir: Path, bin_dir: Path):
        self.workdir, self.bin_dir = workdir, bin_dir
        self.processes = Processes(workdir)
        self.url = ""

    def start(self) -> SharedEtcd:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port, peer = free_port(), free_port()
        self.url, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer}"
        self.process = self.processes.spawn(
            "etcd",
            [
                str(self.bin_dir / "etcd"),
                "--name=default",
                f"--data-dir={self.workdir / 'data'}",
                f"--listen-client-urls={self.url}",
                f"--advertise-client-urls={self.url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=default={peer_url}",
                "--unsafe-no-fsync",
                "--log-level=warn",
                "--quota-backend-bytes=8589934592",
            ],
        )
        return self

    def stop(self) -> None:
        self.processes.stop()


class PrefixedServer(LocalCluster):
    """A LocalCluster whose kube-apiserver stores under ``prefix`` in a shared etcd (started by SharedEtcd)."""

    def __init__(
        self,
        workdir: Path,
        *,
        etcd: SharedEtcd,
        prefix: str,
        extra_args: tuple = (),
        env: dict[str, str] | None = None,
        **kwargs,
    ):
        super().__init__(workdir, bin_dir=etcd.bin_dir, **kwargs)
        self.etcd, self.prefix, self.extra_args, self.env = etcd, prefix, list(extra_args), env

    def _start_processes(self, deadline: float) -> None:
        self.port = self.requested_port or free_port()
        self._processes.spawn(
            "kube-apiserver",
            self._apiserver_command(self.etcd.url, f"--etcd-prefix={self.prefix}", *self.extra_args),
            env=self.env,
        )
        self._wait_ready(deadline)

    @property
    def pid(self) -> int:
        process = self._processes.named("kube-apiserver")
        return process.popen.pid if process else 0


class DelayProxy:
    """A TCP proxy on loopback that holds every chunk the client sends for ``delay`` seconds before passing it on
    (TLS passes through untouched): each request to the server behind it takes ``delay`` longer, as a distant or
    overloaded API server's would. The holds take turns across connections (one slow link), so a client that sends
    four requests at a time waits as long as one sending them in a row: a sync's length is its requests x ``delay``
    whatever its concurrency. ``delay`` can be changed while it runs."""

    def __init__(self, target_port: int, delay: float):
        self.target_port, self.delay = target_port, delay
        self.chunks = 0  # chunks passed on from clients: about one per request
        self.link = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True, name="delay-proxy")

    def start(self) -> DelayProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        with client, server:
            while not self.stopped.is_set():
                ready, _, _ = select.select([client, server], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        self.chunks += 1
                        if self.delay:
                            with self.link:
                                time.sleep(self.delay)
                        server.sendall(data)
                    else:
                        client.sendall(data)


class Fleet:
    """``n`` API servers on one etcd, started at most ``parallel`` at a time and only while the machine has memory for
    one more (MEMORY_RESERVE_KIB beyond it); ``slow`` of them behind a DelayProxy. ``trimmed``: FLEET_CRDS,
    FLEET_ARGS and FLEET_ENV (else every CRD, the default flags, as the tests' server)."""

    def __init__(self, workdir: Path, n: int, *, parallel: int = 4, trimmed: bool = True, extra_args: tuple = ()):
        from clusters.devcluster.server import binaries

        self.workdir, self.n, self.parallel = Path(workdir), n, parallel
        self.extra_args = (*FLEET_ARGS, *extra_args) if trimmed else extra_args
        self.crds, self.env = (FLEET_CRDS, FLEET_ENV) if trimmed else (None, None)
        self.etcd = SharedEtcd(self.workdir / "etcd", binaries())
        self.servers: list[PrefixedServer] = []
        self.proxies: dict[int, DelayProxy] = {}
        self.startup_seconds: list[float] = []

    def __enter__(self) -> Fleet:
        self.etcd.start()
        self.servers = [
            PrefixedServer(
                self.workdir / f"c{i:02d}",
                etcd=self.etcd,
                prefix=f"/cluster-{i:02d}",
                extra_args=self.extra_args,
                env=self.env,
                crds=self.crds,
            )
            for i in range(self.n)
        ]
        # A server's processes die with the thread that started them (clusters.devcluster.processes): each is
        # started by a thread that then waits until the fleet stops.
        self.done = threading.Event()
        errors: list[BaseException] = []
        slots = threading.Semaphore(self.parallel)

        def keep(server: PrefixedServer) -> None:
            t = time.monotonic()
            try:
                server.start()
                self.startup_seconds.append(time.monotonic() - t)
            except BaseException as exc:  # noqa: BLE001 - reported after the others started
                errors.append(exc)
            slots.release()
            self.done.wait()
            server.stop()

        self.threads = []
        try:
            for server in self.servers:
                slots.acquire()
                if errors:
                    raise errors[0]
                self._wait_for_memory()
                thread = threading.Thread(target=keep, args=(server,), daemon=True)
                thread.start()
                self.threads.append(thread)
            for _ in range(self.parallel):
                slots.acquire()
            if errors:
                raise errors[0]
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_for_memory(self, timeout: float = 120.0) -> None:
        """Until the machine can take one more server and keep MEMORY_RESERVE_KIB (servers starting grow a while)."""
        deadline = time.monotonic() + timeout
        while available_kib() < MEMORY_RESERVE_KIB + SERVER_KIB * self.parallel:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{available_kib() // 1024} MiB available: not starting another API server "
                    f"({len(self.threads)} of {self.n} started)"
                )
            time.sleep(1.0)

    def __exit__(self, *exc) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.done.set()
        for thread in self.threads:
            thread.join(60)
        self.etcd.stop()

    def slow_down(self, index: int, delay: float) -> None:
        """Put server ``index`` behind a proxy adding ``delay`` per request (the kubeconfig then points at it)."""
        if index not in self.proxies:
            self.proxies[index] = DelayProxy(self.servers[index].port, delay).start()
        self.proxies[index].delay = delay

    def kubeconfig(self, index: int) -> dict:
        config = self.servers[index].kubeconfig("portico")
        proxy = self.proxies.get(index)
        if proxy is not None:
            config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
        return config

    def rss_kib(self) -> dict:
        return {
            "etcd": rss_kib(self.etcd.process.popen.pid),
            "apiservers": [rss_kib(s.pid) for s in self.servers],
            "apiservers_anon": [rss_kib(s.pid, "RssAnon") for s in self.servers],
        }

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.etcd.process.popen.pid) + sum(cpu_seconds(s.pid) for s in self.servers)


def version(bin_dir: Path) -> str:
    return subprocess.run([str(bin_dir / "kube-apiserver"), "--version"], capture_output=True, text=True).stdout.strip()
