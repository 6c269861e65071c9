"""Cluster and team changes made in the admin or by add_cluster are in the audit trail, like the API's, with
their actor and never a credential."""

import pytest
import yaml
from django.core.management import call_command

from clusters.models import Cluster
from core.models import AuditEvent
from teams.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client_as, pat):
    return admin_client_as(pat)


def last(model: str) -> AuditEvent:
    return AuditEvent.objects.filter(object_type=model).latest("pk")


def test_add_cluster_is_audited_as_system_without_credentials(kube_kubeconfig, tmp_path):
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(kube_kubeconfig))
    call_command("add_cluster", "prod-eu", "--kubeconfig", str(path))
    call_command("add_cluster", "prod-eu", "--kubeconfig", str(path), "--ingress-class", "traefik")

    event = last("cluster")
    assert (event.verb, event.actor_name) == ("edit", "system")
    assert (event.before["ingress_class"], event.after["ingress_class"]) == ("nginx", "traefik")
    stored = Cluster.objects.get().kubeconfig_encrypted
    for event in AuditEvent.objects.filter(object_type="cluster"):
        assert stored not in str(event.after) and "token" not in str(event.after)


def test_cluster_edited_in_the_admin_names_the_editor(staff, cluster):
    data = {
        "name": cluster.name,
        "display_name": "Renamed",
        "mode": cluster.mode,
        "context": "",
        "directory": cluster.directory,
        "ingress_class": "traefik",
        "default_issuer": cluster.default_issuer,
        "output": cluster.output,
        "gateway_name": "",
        "gateway_namespace": "",
        "gateway_section_name": "",
        "kubeconfig": "",
    }
    response = staff.post(f"/admin/clusters/cluster/{cluster.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]

    event = last("cluster")
    assert (event.verb, event.actor_name) == ("edit", "pat")
    assert (event.before["ingress_class"], event.after["ingress_class"]) == ("nginx", "traefik")
    assert event.after["kubeconfig_replaced"] is False


def test_team_edited_in_the_admin_records_members_and_namespaces(staff, shop, alice, bob, cluster):
    data = {
        "slug": "shop",
        "name": "Shop",
        "domains": '["shop.example.com"]',
        "members": [alice.pk, bob.pk],
        "namespaces-TOTAL_FORMS": "1",
        "namespaces-INITIAL_FORMS": "1",
        "namespaces-MIN_NUM_FORMS": "0",
        "namespaces-MAX_NUM_FORMS": "1000",
        "namespaces-0-id": str(shop.namespaces.get().pk),
        "namespaces-0-team": str(shop.pk),
        "namespaces-0-cluster": str(cluster.pk),
        "namespaces-0-namespace": "shop",
    }
    response = staff.post(f"/admin/teams/team/{shop.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]

    event = last("team")
    assert (event.verb, event.actor_name, event.team) == ("edit", "pat", shop)
    assert event.before["members"] == ["alice"] and event.after["members"] == ["alice", "bob"]


def test_team_deleted_in_the_admin_is_audited(staff, other_team):
    response = staff.post(f"/admin/teams/team/{other_team.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    event = last("team")
    assert (event.verb, event.actor_name, event.before["slug"]) == ("delete", "pat", other_team.slug)
    assert not Team.objects.filter(pk=other_team.pk).exists()
