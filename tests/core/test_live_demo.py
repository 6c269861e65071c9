"""`make run`'s live demo cluster (routes/live_demo.py, started by runall): with the binaries it starts the local
kube-apiserver at once, registers it as cluster "live" with deploy/target-rbac.yaml's identity, tells the demo
story there and runs the demo controllers; without them it builds in the background, or says how to get them.
Everything it started is gone after stop()."""

import logging
import os
import time

import pytest
import yaml
from django.core.management import call_command

from clusters import live_demo as note
from clusters import probe
from clusters.devcluster.pki import PORTICO_USER
from clusters.models import Cluster
from routes import reconcile
from routes.live_demo import LiveDemo
from routes.models import Route
from tests.traffic.helper import Traffic

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, what: str, timeout: float = 120.0):
    """Poll until ``predicate()`` is truthy; the timeout only bounds a failing run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def demo(var_dir):
    call_command("load_demo")
    started = []

    def _start(**kwargs):
        live = LiveDemo(var_dir / "live-cluster", **kwargs)
        started.append(live)
        live.start()
        return live

    yield _start
    for live in started:
        live.stop()


@pytest.fixture(autouse=True)
def _demo_ports(monkeypatch):
    # make run serves the demo on 127.0.0.1:8443; tests take free ports, as other runs may hold that one.
    monkeypatch.setattr("routes.live_demo.DEMO_HTTPS_PORT", 0)
    monkeypatch.setattr("routes.live_demo.DEMO_HTTP_PORT", 0)


@pytest.mark.realkube
def test_with_the_binaries_the_live_cluster_comes_up_and_its_frontend_answers_through_traefik(demo, var_dir):
    live = demo(controllers_delay=0)
    assert live.wait_up(timeout=180), note.read_note()

    cluster = Cluster.objects.get(name="live")
    assert cluster.mode == "kubernetes"
    assert (cluster.ingress_class, cluster.default_issuer) == ("traefik", "portico-ca")
    config = yaml.safe_load((var_dir / "live-cluster" / "portico.kubeconfig").read_text())
    assert config["users"][0]["user"]["token"] == live.cluster.pki.tokens()[PORTICO_USER]
    assert cluster.get_kubeconfig()["users"][0]["user"]["token"] == live.cluster.pki.tokens()[PORTICO_USER]
    story = {r.name: r.approval for r in Route.objects.filter(cluster=cluster)}
    assert story == {"frontend": "approved", "api": "pending", "metrics": "rejected"}
    assert note.read_note().state == note.READY
    assert live._controllers is None  # no demo controllers: Traefik and cert-manager act

    # What the worker does next, here in the test: the frontend goes Healthy once Traefik has published the
    # Ingress's address and cert-manager has issued the certificate, and it answers HTTPS through Traefik.
    frontend = Route.objects.get(cluster=cluster, name="frontend")
    probe.probe_cluster(cluster.pk)
    assert reconcile.reconcile_route(frontend.pk) is reconcile.Result.APPLIED

    def healthy():
        reconcile.sync_cluster(cluster.pk)
        return Route.objects.get(pk=frontend.pk).health == "Healthy"

    wait_for(healthy, "the frontend on cluster live to go Healthy")
    assert Route.objects.get(pk=frontend.pk).address == "127.0.0.1"
    assert (var_dir / "live-cluster" / "traffic" / "portico-ca.crt").read_bytes() == live.plane.ca_pem
    answer = Traffic(live.plane).wait_for("shop.example.com", "/hello", until=lambda a: a.status == 200)
    assert (
        answer.body
        == f"Hello from frontend (team shop) on the live cluster: shop.example.com:{live.plane.https_port}/hello\n"
    )

    pids = [p.popen.pid for p in live.cluster._processes] + [p.popen.pid for p in live.plane._processes]
    live.stop()
    assert all(gone(pid) for pid in pids)
    assert note.read_note() is None


@pytest.mark.realkube
def test_without_traefik_and_cert_manager_demo_controllers_play_them(demo, var_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PORTICO_TRAFFIC_BIN_DIR", str(tmp_path / "no-traffic-binaries"))
    live = demo(controllers_delay=0)
    assert live.wait_up(timeout=180), note.read_note()

    cluster = Cluster.objects.get(name="live")
    assert (cluster.ingress_class, cluster.default_issuer) == ("nginx", "letsencrypt")
    frontend = Route.objects.get(cluster=cluster, name="frontend")
    probe.probe_cluster(cluster.pk)
    assert reconcile.reconcile_route(frontend.pk) is reconcile.Result.APPLIED

    def healthy():
        reconcile.sync_cluster(cluster.pk)
        return Route.objects.get(pk=frontend.pk).health == "Healthy"

    wait_for(healthy, "the frontend on cluster live to go Healthy")
    assert Route.objects.get(pk=frontend.pk).address == "203.0.113.10"

    pids = [p.popen.pid for p in live.cluster._processes] + [live._controllers.pid]
    live.stop()
    assert all(gone(pid) for pid in pids)


def test_without_binaries_or_go_it_says_how_to_get_them(demo, monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("PORTICO_KUBE_BIN_DIR", raising=False)
    monkeypatch.setenv("PORTICO_KUBE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # Go is in /usr/local/go/bin on these machines
    caplog.set_level(logging.INFO, logger="routes.live_demo")

    demo()
    shown = wait_for(note.read_note, "the note")

    assert shown.state == note.NO_GO
    assert "make kube-bins" in shown.text
    assert any("Go is not installed" in r.getMessage() and "make kube-bins" in r.getMessage() for r in caplog.records)
    assert not Cluster.objects.filter(name="live").exists()


def test_an_empty_kube_bin_dir_is_said_on_the_page(demo, monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PORTICO_KUBE_BIN_DIR", str(empty))

    demo()
    shown = wait_for(note.read_note, "the note")

    assert shown.state == note.FAILED
    assert "PORTICO_KUBE_BIN_DIR holds no kube-apiserver and etcd" in shown.text
    assert not Cluster.objects.filter(name="live").exists()


def test_without_binaries_it_builds_them_in_the_background_and_stop_ends_the_build(demo, monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("PORTICO_KUBE_BIN_DIR", raising=False)
    monkeypatch.setenv("PORTICO_KUBE_CACHE", str(tmp_path / "empty-cache"))
    caplog.set_level(logging.INFO, logger="routes.live_demo")

    live = demo()
    assert wait_for(note.read_note, "the note").state == note.BUILDING
    build = wait_for(lambda: live._build, "the build to start")
    wait_for(lambda: any("kube-bins: building" in r.getMessage() for r in caplog.records), "the build's log line")
    assert any("in the background" in r.getMessage() for r in caplog.records)

    live.stop()
    assert build.poll() is not None
    wait_for(lambda: group_gone(build.pid), "the build's process group (go and its compilers) to be gone")
    assert note.read_note() is None
    assert not Cluster.objects.filter(name="live").exists()


# A stand-in for `go build ... -o OUT .` in tools/kube/<name>: copies the binary this machine already built (the
# real build is measured in README and tested in tests/realkube/test_kube_bins.py), so the test follows a whole
# background build to a registered cluster in seconds.
STAND_IN_GO = """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done
case "${PWD##*/}" in apiserver) name=kube-apiserver ;; *) name="${PWD##*/}" ;; esac
sleep 1
cp "$BUILT/$name" "$out"
"""


@pytest.mark.realkube
def test_a_background_build_that_finishes_brings_the_live_cluster_up(demo, monkeypatch, tmp_path, caplog):
    from clusters.devcluster.server import binaries

    built = binaries()  # the binaries make test built, before the cache is pointed elsewhere
    fake_bin = tmp_path / "fake-go"
    fake_bin.mkdir()
    (fake_bin / "go").write_text(STAND_IN_GO)
    (fake_bin / "go").chmod(0o755)
    monkeypatch.delenv("PORTICO_KUBE_BIN_DIR", raising=False)
    monkeypatch.setenv("PORTICO_KUBE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", f"{fake_bin}:/usr/bin:/bin")
    monkeypatch.setenv("BUILT", str(built))
    caplog.set_level(logging.INFO, logger="routes.live_demo")

    live = demo(controllers_delay=0)

    assert live.wait_up(timeout=180), note.read_note()
    assert any("in the background" in r.getMessage() for r in caplog.records)
    assert any("built in" in r.getMessage() for r in caplog.records)
    assert str(live.cluster.bin_dir).startswith(str(tmp_path / "empty-cache"))
    assert note.read_note().state == note.READY
    cluster = Cluster.objects.get(name="live")
    assert {r.name for r in Route.objects.filter(cluster=cluster)} == {"frontend", "api", "metrics"}
    assert probe.probe_cluster(cluster.pk).healthy
