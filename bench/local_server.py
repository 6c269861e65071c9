"""The local kube-apiserver (clusters.devcluster, the tests' server) as a benchmark target, beside the emulator.

etcd and kube-apiserver run in processes of their own, so unlike the emulator (a thread of the benchmark
process) the server's work never competes with the client for the GIL; they still share the machine's cores.
Portico talks to it as deploy/target-rbac.yaml's least-privilege identity over TLS, with RBAC authorization and
the default admission plugins on. etcd runs with --unsafe-no-fsync, as in the tests (clusters/devcluster/server.py):
a production etcd waits for its disk on every write.

It offers what bench/reconcile_bench.py uses of the emulator: ``reset()``, ``requests``/``clear_requests()`` (the
calls Portico's KubeClient made, recorded by the tests' recorder), ``kubeconfig()``, ``get`` and
``patch_out_of_band``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from clusters.devcluster import LocalCluster
from clusters.kube import KubeClient
from tests.realkube.helper import Cleaner, RealKube, recorder

from . import seed

NAME = "local kube-apiserver"


class LocalServer:
    """Start with ``with LocalServer(workdir) as kube:``; everything started is stopped on the way out."""

    addons_installed = True  # CRDs, IngressClass nginx and ClusterIssuer letsencrypt come with the server
    cluster_prefix = "real-"  # Cluster rows apart from the emulator runs' in the same database

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.server = LocalCluster(self.workdir)
        self._original_request = KubeClient.request
        self.kube: RealKube | None = None
        self.cleaner: Cleaner | None = None

    def __enter__(self) -> LocalServer:
        self.server.start()
        self.kube = RealKube(self.server, tmp_path=self.workdir)
        self.cleaner = Cleaner(self.server)
        KubeClient.request = recorder(self.kube.requests)
        return self

    def __exit__(self, *exc) -> None:
        KubeClient.request = self._original_request
        self.kube.close()
        self.server.stop()

    def describe(self) -> str:
        version = subprocess.run(
            [str(self.server.bin_dir / "kube-apiserver"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        etcd = subprocess.run(
            [str(self.server.bin_dir / "etcd"), "--version"], capture_output=True, text=True
        ).stdout.splitlines()[:1]
        return f"{version}, {etcd[0] if etcd else 'etcd'}"

    def reset(self) -> None:
        """An empty cluster with the benchmark's namespaces (the emulator needs none; a real server does)."""
        self.cleaner.clean()
        for namespace in seed.NAMESPACES:
            self.kube.add_namespace(namespace)
        self.kube.clear_requests()

    @property
    def requests(self):
        return self.kube.requests

    def clear_requests(self) -> None:
        self.kube.clear_requests()

    def kubeconfig(self) -> dict:
        return self.server.kubeconfig("portico")

    def get(self, *args):
        return self.kube.get(*args)

    def patch_out_of_band(self, *args, **kwargs):
        return self.kube.patch_out_of_band(*args, **kwargs)
