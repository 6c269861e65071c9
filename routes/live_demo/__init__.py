"""`make run`'s live demo cluster: the tests' local kube-apiserver (clusters.devcluster), registered as ``live``.

runall starts a LiveDemo beside web, worker and beat; it never makes them wait:

- kube-apiserver and etcd already built (the cache of scripts/kube-bins.sh, or PORTICO_KUBE_BIN_DIR): the server
  starts at once (a few seconds);
- not built, Go installed: scripts/kube-bins.sh builds them in the background (about 6 minutes the first time,
  README), with progress in the log and on /clusters/, and the server starts when the build is done;
- no Go: a log line and a note on /clusters/ say how to get the binaries; the demo runs with cluster ``local`` only.

Once up, the server gets what the demo's team deploys itself (namespace ``shop``, Services, EndpointSlices, as
the admin identity), ``manage.py load_demo --live-kubeconfig`` registers it as cluster ``live`` with the
least-privilege identity of deploy/target-rbac.yaml and tells the demo story there.

The data path is real when Traefik and cert-manager's controller are built (``scripts/kube-bins.sh --traffic``,
a step of `make run`): clusters.devcluster.traffic starts them against the server, the team's workloads are small
HTTP servers on this machine's address behind the EndpointSlices, Traefik serves the routes on
127.0.0.1:PORTICO_DEMO_HTTPS_PORT (8443) with certificates cert-manager issues from the local CA
(``var/live-cluster/traffic/portico-ca.crt``), and README says how to curl them. Without them,
``manage.py demo_controllers`` (clusters/demo_controllers.py) plays the ingress controller and cert-manager as
before. Where the cluster stands is written for the clusters page (clusters/live_demo.py). ``stop()`` ends the
build, the controllers and the server.
"""

from __future__ import annotations

import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, cast

import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from clusters import live_demo as status
from clusters.devcluster import BinariesMissing, LocalCluster, LocalClusterError, binaries
from clusters.devcluster.server import KUBE_BINS, ROOT
from clusters.devcluster.traffic import TrafficBinariesMissing, TrafficPlane
from clusters.models import Cluster
from clusters.tasks import probe_cluster
from routes.tasks import sync_cluster

from .workloads import DEMO_HTTP_PORT, DEMO_HTTPS_PORT, WORKLOADS, DemoBackend, seed_workloads

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 30.0  # seconds between "still building" log lines


class LiveDemo:
    """Builds (if needed), starts and registers the live demo cluster in a thread of its own; ``stop()`` ends it.

    ``workdir`` keeps the server's keys (so kubeconfigs stay valid across runs) and logs; etcd starts empty each
    time and Portico's first sync puts the routes' objects back.
    """

    def __init__(self, workdir: Path | None = None, *, python: str = sys.executable, controllers_delay: float = 3.0):
        self.workdir = Path(workdir or Path(settings.VAR_DIR) / "live-cluster")
        self.python = python
        self.controllers_delay = controllers_delay
        self.cluster: LocalCluster | None = None
        self._build: subprocess.Popen | None = None
        self._controllers: subprocess.Popen | None = None
        self.plane: TrafficPlane | None = None
        self._traffic_build: subprocess.Popen | None = None
        self._backends: dict[str, DemoBackend] = {}
        self._stop = threading.Event()
        self._up = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="live-demo-cluster", daemon=True)
        self._thread.start()

    def wait_up(self, timeout: float) -> bool:
        """True once the cluster is registered and the demo controllers run (tests use it)."""
        return self._up.wait(timeout)

    def stop(self) -> None:
        """Stop the build, the controllers and the server, and take the note off the clusters page."""
        self._stop.set()
        for process in (self._build, self._controllers, self._traffic_build):
            _stop_group(process)
        if self._thread is not None:
            self._thread.join(timeout=30)
        status.clear_status()

    def failed_process(self) -> str | None:
        """A part of the running demo cluster that died, if one did."""
        return self.cluster.failed_process() if self.cluster is not None else None

    # The thread: it must live as long as the server, whose processes die with the thread that started them
    # (PR_SET_PDEATHSIG, clusters/devcluster/server.py).

    def _run(self) -> None:
        try:
            bin_dir = self._binaries()
            if bin_dir is None or self._stop.is_set():
                return
            self._bring_up(bin_dir)
            self._stop.wait()
        except Exception as exc:  # the demo goes on with cluster "local"; say why "live" is not there
            logger.exception("live cluster: failed")
            status.write_status(status.FAILED, str(exc).splitlines()[0][:300])
        finally:
            _stop_group(self._controllers)
            if self.plane is not None:
                self.plane.stop()
            for backend in self._backends.values():
                backend.stop()
            if self.cluster is not None:
                self.cluster.stop()
            connections.close_all()

    def _binaries(self) -> Path | None:
        try:
            return binaries()
        except BinariesMissing as exc:
            missing = str(exc)
        if os.environ.get("PORTICO_KUBE_BIN_DIR"):
            # An explicit folder is used as it is: building into the cache would not fill it.
            logger.warning("live cluster: %s", missing)
            status.write_status(status.FAILED, "PORTICO_KUBE_BIN_DIR holds no kube-apiserver and etcd")
            return None
        if shutil.which("go") is None:
            logger.warning(
                "live cluster: not started: kube-apiserver and etcd are not built and Go is not installed. "
                "To get the live demo cluster, %s.",
                status.GET_BINARIES,
            )
            status.write_status(status.NO_GO)
            return None
        return self._build_binaries()

    def _build_binaries(self) -> Path | None:
        """scripts/kube-bins.sh in the background, its output in the log, a progress line every half minute."""
        logger.info(
            "live cluster: building kube-apiserver and etcd from Go modules in the background (%s, first "
            'time only); the demo runs with cluster "local" meanwhile',
            status.TYPICAL_BUILD,
        )
        status.write_status(status.BUILDING)
        log = (self.workdir / "build.log").open("ab")
        self._build = subprocess.Popen(
            [str(KUBE_BINS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        started = last_progress = time.monotonic()
        lines: list[str] = []
        output = cast(IO[bytes], self._build.stdout)  # stdout=PIPE: always a stream
        with selectors.DefaultSelector() as selector:
            selector.register(output, selectors.EVENT_READ)
            while True:
                if selector.select(timeout=1.0):
                    raw = output.readline()
                    if not raw:
                        break
                    log.write(raw)
                    line = raw.decode(errors="replace").rstrip()
                    lines.append(line)
                    logger.info("live cluster: %s", line)
                if time.monotonic() - last_progress >= PROGRESS_EVERY:
                    last_progress = time.monotonic()
                    logger.info(
                        "live cluster: still building (%d s so far, %s the first time)",
                        last_progress - started,
                        status.TYPICAL_BUILD,
                    )
        code = self._build.wait()
        log.close()
        if self._stop.is_set():
            return None
        if code != 0:
            logger.warning("live cluster: the build failed (exit %s); see %s", code, self.workdir / "build.log")
            status.write_status(status.FAILED, f"building kube-apiserver and etcd failed (exit {code})")
            return None
        logger.info("live cluster: built in %d s", time.monotonic() - started)
        return binaries(lines[-1].strip() if lines else None)

    def _bring_up(self, bin_dir: Path) -> None:
        status.write_status(status.STARTING)
        logger.info("live cluster: starting etcd and kube-apiserver (%s)", bin_dir)
        self.cluster = LocalCluster(self.workdir, bin_dir=bin_dir)
        try:
            self.cluster.start()
        except LocalClusterError as exc:
            raise LocalClusterError(f"kube-apiserver did not start ({str(exc).splitlines()[0]})") from exc
        portico, admin = self._write_kubeconfig("portico"), self._write_kubeconfig("admin")
        self.plane = self._start_data_path(self.cluster)
        seed_workloads(self.cluster, self._backends if self.plane is not None else None)
        if self.plane is not None:
            call_command(
                "load_demo",
                live_kubeconfig=portico,
                live_ingress_class="traefik",
                live_issuer="portico-ca",
                stdout=_LogStream(),
            )
        else:
            call_command("load_demo", live_kubeconfig=portico, stdout=_LogStream())
            self._controllers = subprocess.Popen(
                [
                    self.python,
                    "manage.py",
                    "demo_controllers",
                    "--kubeconfig",
                    str(admin),
                    "--delay",
                    str(self.controllers_delay),
                ],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wake_worker()
        status.write_status(status.READY)
        if self.plane is not None:
            logger.info(
                'live cluster: cluster "live" at %s is registered; Traefik and cert-manager serve its routes. '
                "Try: curl --resolve shop.example.com:%s:127.0.0.1 --cacert %s https://shop.example.com:%s/",
                self.cluster.url,
                self.plane.https_port,
                self.plane.ca_file,
                self.plane.https_port,
            )
        else:
            logger.info(
                'live cluster: cluster "live" at %s is registered (as %s); demo controllers play the '
                "ingress controller and cert-manager there",
                self.cluster.url,
                "deploy/target-rbac.yaml's identity",
            )
        self._up.set()

    def _start_data_path(self, cluster: LocalCluster) -> TrafficPlane | None:
        """Traefik and cert-manager against the server, and the team's workloads as HTTP servers, when built."""
        try:
            plane = TrafficPlane(
                cluster, self.workdir / "traffic", https_port=DEMO_HTTPS_PORT, http_port=DEMO_HTTP_PORT
            )
        except TrafficBinariesMissing:
            if shutil.which("go") is not None and not os.environ.get("PORTICO_TRAFFIC_BIN_DIR"):
                # Built in the background for the next `make run` (about half an hour the first time, README).
                log = (self.workdir / "traffic-build.log").open("ab")
                self._traffic_build = subprocess.Popen(
                    [str(KUBE_BINS), "--traffic"],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
                log.close()
                logger.info(
                    "live cluster: Traefik and cert-manager are not built yet; building them in the "
                    "background (%s) for the next make run. Meanwhile demo controllers play them, so there "
                    "is nothing to curl",
                    self.workdir / "traffic-build.log",
                )
            else:
                logger.info(
                    "live cluster: Traefik and cert-manager are not built (make kube-bins builds them); "
                    "demo controllers play them, so there is nothing to curl"
                )
            return None
        try:
            self._backends = {name: DemoBackend(name, pod_port) for name, _, pod_port in WORKLOADS}
            plane.start()
        except (LocalClusterError, OSError) as exc:
            logger.warning(
                "live cluster: the data path did not start (%s); demo controllers play Traefik and "
                "cert-manager instead",
                str(exc).splitlines()[0],
            )
            plane.stop()
            for backend in self._backends.values():
                backend.stop()
            self._backends = {}
            return None
        return plane

    def _write_kubeconfig(self, identity: str) -> Path:
        path = self.workdir / f"{identity}.kubeconfig"
        tmp = path.with_suffix(".tmp")
        if self.cluster is None:
            raise RuntimeError("The live cluster is not running.")
        tmp.write_text(yaml.safe_dump(self.cluster.kubeconfig(identity), sort_keys=False))
        tmp.chmod(0o600)
        tmp.replace(path)
        return path

    @staticmethod
    def _wake_worker() -> None:
        """Probe and sync now instead of at beat's next round: after a restart etcd is empty, and the sync puts
        the approved routes' objects back."""
        live = Cluster.objects.get(name=status.LIVE_CLUSTER)
        try:
            probe_cluster.delay(live.pk)
            sync_cluster.delay(live.pk)
        except Exception as exc:  # noqa: BLE001 - the broker is a folder; beat's rounds pick the cluster up anyway
            logger.warning("live cluster: could not enqueue its first probe and sync (%s); beat will", exc)


def _stop_group(process: subprocess.Popen | None) -> None:
    """SIGTERM the process group (a build's `go` children included), SIGKILL what is left once the leader is
    gone or after 10 s."""
    if process is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


class _LogStream:
    """load_demo's output, as log lines."""

    def write(self, text: str) -> None:
        for line in text.splitlines():
            if line.strip():
                logger.info("live cluster: %s", line.strip())

    def flush(self) -> None:
        pass
