"""Management commands of the reconciler: add_cluster, reconcile, export_manifests."""

import pytest
import yaml
from django.core.management import CommandError, call_command

from clusters.models import Cluster
from routes.models import Route

pytestmark = pytest.mark.django_db


def test_add_cluster_stores_an_encrypted_kubeconfig(realkube, tmp_path, capsys):
    kubeconfig = realkube.kubeconfig()
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(kubeconfig))

    call_command(
        "add_cluster", "prod-eu", "--kubeconfig", str(path), "--ingress-class", "traefik", "--issuer", "zerossl"
    )

    cluster = Cluster.objects.get(name="prod-eu")
    assert (cluster.mode, cluster.ingress_class, cluster.default_issuer) == ("kubernetes", "traefik", "zerossl")
    assert cluster.get_kubeconfig()["clusters"][0]["cluster"]["server"] == realkube.url
    assert "Added cluster prod-eu" in capsys.readouterr().out


def test_add_cluster_refuses_exec_credentials(tmp_path):
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "clusters": [{"name": "c", "cluster": {"server": "https://x"}}],
                "users": [{"name": "u", "user": {"exec": {"command": "aws"}}}],
            }
        )
    )

    with pytest.raises(CommandError, match="runs a program"):
        call_command("add_cluster", "prod", "--kubeconfig", str(path))
    assert not Cluster.objects.exists()


def test_add_cluster_with_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("add_cluster", "prod", "--kubeconfig", str(tmp_path / "nope"))


def test_reconcile_route_command_applies_and_reports(approve, realkube, capsys):
    route = approve()
    call_command("reconcile", "--route", str(route.pk))
    assert f"route {route.pk}: applied" in capsys.readouterr().out
    assert Route.objects.get(pk=route.pk).applied_revision == 1


def test_reconcile_command_exits_non_zero_when_a_cluster_fails(approve_on_emulator, kube):
    """On the emulator: it refuses connections on demand and serves again at the same address."""
    route = approve_on_emulator()
    kube.refuse_connections()
    try:
        with pytest.raises(CommandError, match="did not sync cleanly"):
            call_command("reconcile", "--cluster", route.cluster.name)
    finally:
        kube.restore()


def test_reconcile_command_exits_non_zero_for_a_degraded_route(approve, realkube):
    route = approve()
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",  # not Portico's: it will not touch it
            "metadata": {"name": "cart"},
            "spec": {"rules": [{"host": "legacy.example.com"}]},
        }
    )
    with pytest.raises(CommandError, match="degraded"):
        call_command("reconcile", "--route", str(route.pk))


def test_reconcile_unknown_targets():
    with pytest.raises(CommandError, match="No cluster"):
        call_command("reconcile", "--cluster", "nope")
    with pytest.raises(CommandError, match="No route"):
        call_command("reconcile", "--route", "00000000-0000-0000-0000-000000000000")


def test_export_manifests_writes_one_file_per_object(approved_route, cluster, tmp_path, capsys):
    call_command("export_manifests", "--cluster", cluster.name, str(tmp_path / "out"))

    written = sorted(p.name for p in (tmp_path / "out").rglob("*.yaml"))
    assert written == ["certificate-cart-shop-example-com.yaml", "ingress-cart.yaml"]
    assert "Wrote 2 objects for 1 routes" in capsys.readouterr().out
