"""`make dev-cluster` (python -m clusters.devcluster): the local API server in the foreground, its kubeconfig taken
by add_cluster and kubectl-style clients, `reconcile --cluster` clean against it, and nothing left running after
it stops, even when it is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import kubernetes
import pytest
import yaml
from django.core.management import call_command

from clusters.devcluster.server import ROOT, free_port
from clusters.models import Cluster
from routes import services
from routes.models import Route

pytestmark = [pytest.mark.realkube, pytest.mark.django_db]


def processes_under(folder: Path) -> list[int]:
    """Pids of the processes whose command line names ``folder`` (the dev cluster's etcd and kube-apiserver)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in cmdline and "clusters.devcluster" not in cmdline:
                pids.append(int(entry.name))
    return pids


def gone(folder: Path, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while processes_under(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def dev_cluster(tmp_path):
    """`python -m clusters.devcluster` started as make starts it, once it says it is ready."""
    folder = tmp_path / "dev-cluster"
    with open(tmp_path / "out.log", "w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "clusters.devcluster", "--dir", str(folder), "--port", str(free_port())],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while "ready at" not in (tmp_path / "out.log").read_text():
            assert process.poll() is None, (tmp_path / "out.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "out.log").read_text()
            time.sleep(0.2)
        yield process, folder
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_its_kubeconfig_registers_a_cluster_that_reconciles_cleanly(dev_cluster, shop, submit, pat):
    process, folder = dev_cluster
    kubeconfig = folder / "kubeconfig"
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == "portico"
    assert {c["name"] for c in config["contexts"]} == {"portico", "admin"}
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"

    call_command("add_cluster", "dev", kubeconfig=kubeconfig)
    cluster = Cluster.objects.get(name="dev")
    cluster.team_namespaces.create(team=shop, namespace="shop")
    admin = kubernetes.config.new_client_from_config_dict(config, context="admin")  # what kubectl --context admin uses
    kubernetes.client.CoreV1Api(admin).create_namespace({"metadata": {"name": "shop"}})
    route = services.approve_route(submit("cart", on=cluster), user=pat)

    call_command("reconcile", "--cluster", "dev")  # raises CommandError (exit 1) unless every step was clean

    cluster.refresh_from_db()
    assert (cluster.reachable, cluster.health_message) == (True, "All checks passed.")
    assert Route.objects.get(pk=route.pk).applied_revision == 1
    ingress = kubernetes.client.NetworkingV1Api(admin).read_namespaced_ingress("cart", "shop")
    assert ingress.metadata.labels["app.kubernetes.io/managed-by"] == "portico"
    admin.close()

    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=30) == 0
    assert gone(folder)


def test_killing_it_leaves_no_server_running(dev_cluster):
    process, folder = dev_cluster
    assert len(processes_under(folder)) == 2  # etcd and kube-apiserver

    os.kill(process.pid, signal.SIGKILL)  # no chance to clean up: the servers die with it (PR_SET_PDEATHSIG)
    process.wait(timeout=10)

    assert gone(folder)
