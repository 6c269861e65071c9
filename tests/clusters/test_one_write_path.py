"""Clusters and teams are written through one service each (clusters.services, teams.services), so the admin,
the API and the commands accept and refuse the same changes with the same messages, and audit them alike."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from clusters import services
from clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from clusters.models import Cluster
from core.models import AuditEvent
from teams.models import Team

pytestmark = pytest.mark.django_db

INSECURE_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "lab",
    "clusters": [
        {"name": "lab", "cluster": {"server": "https://lab.example.com:6443", "insecure-skip-tls-verify": True}}
    ],
    "users": [{"name": "portico", "user": {"token": "lab-token"}}],
    "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "portico"}}],
}


@pytest.fixture
def lab(pat):
    """A cluster whose kubeconfig skips TLS verification, with the explicit flag that allows it."""
    return services.create_cluster(
        Cluster(name="lab", mode="kubernetes", insecure_skip_tls_verify=True), user=pat, kubeconfig=INSECURE_KUBECONFIG
    )


@pytest.fixture
def staff(admin_client_as, pat):
    return admin_client_as(pat)


@pytest.fixture
def api():
    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def admin_form(cluster: Cluster, **changes) -> dict:
    data = {
        "name": cluster.name,
        "display_name": cluster.display_name,
        "mode": cluster.mode,
        "context": cluster.context,
        "directory": cluster.directory,
        "ingress_class": cluster.ingress_class,
        "default_issuer": cluster.default_issuer,
        "output": cluster.output,
        "gateway_name": "",
        "gateway_namespace": "",
        "gateway_section_name": "",
        "kubeconfig": "",
    }
    if cluster.insecure_skip_tls_verify:
        data["insecure_skip_tls_verify"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def refusal(cluster: Cluster, **changes) -> dict:
    """What the service itself says about the change: the messages every path must show."""
    for field, value in changes.items():
        setattr(cluster, field, value)
    kubeconfig = changes.pop("kubeconfig", None)
    with pytest.raises(ValidationError) as refused:
        services.validate_cluster(cluster, kubeconfig=kubeconfig)
    return refused.value.message_dict


def assert_unchanged(cluster: Cluster):
    stored = Cluster.objects.get(pk=cluster.pk)
    assert stored.insecure_skip_tls_verify is True
    assert stored.kubeconfig_encrypted == cluster.kubeconfig_encrypted
    assert stored.get_kubeconfig()["clusters"][0]["cluster"]["insecure-skip-tls-verify"] is True


def test_turning_verification_back_on_is_refused_in_the_admin_while_the_stored_kubeconfig_skips_it(staff, lab):
    expected = refusal(Cluster.objects.get(pk=lab.pk), insecure_skip_tls_verify=False)

    response = staff.post(f"/admin/clusters/cluster/{lab.pk}/change/", admin_form(lab, insecure_skip_tls_verify=None))

    assert response.status_code == 200  # the form again, with the error: nothing saved
    assert response.context["adminform"].form.errors == expected
    assert "skips TLS verification" in expected["insecure_skip_tls_verify"][0]
    assert_unchanged(lab)


def test_turning_verification_back_on_is_refused_in_the_api_the_same_way(api, pat, lab):
    expected = refusal(Cluster.objects.get(pk=lab.pk), insecure_skip_tls_verify=False)

    response = api(pat).patch("/api/v1/clusters/lab/", {"insecure_skip_tls_verify": False}, format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert_unchanged(lab)


def test_an_insecure_kubeconfig_without_the_flag_is_refused_by_admin_api_and_add_cluster_alike(
    staff, api, pat, lab, tmp_path
):
    with pytest.raises(KubeconfigError) as rule:
        parse_kubeconfig(INSECURE_KUBECONFIG)
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(INSECURE_KUBECONFIG))

    page = staff.post(
        f"/admin/clusters/cluster/{lab.pk}/change/",
        admin_form(lab, insecure_skip_tls_verify=None, kubeconfig=path.read_text()),
    )
    response = api(pat).patch(
        "/api/v1/clusters/lab/", {"insecure_skip_tls_verify": False, "kubeconfig": path.read_text()}, format="json"
    )
    with pytest.raises(CommandError) as command:
        call_command("add_cluster", "lab", "--kubeconfig", str(path))

    assert page.context["adminform"].form.errors == {"kubeconfig": [str(rule.value)]}
    assert response.status_code == 400 and response.json() == {"kubeconfig": [str(rule.value)]}
    assert str(command.value) == f"kubeconfig: {rule.value}"
    assert_unchanged(lab)


def test_a_cluster_cannot_be_renamed_in_the_admin_either(staff, api, pat, cluster):
    page = staff.post(f"/admin/clusters/cluster/{cluster.pk}/change/", admin_form(cluster, name="renamed"))
    response = api(pat).patch("/api/v1/clusters/prod-eu/", {"name": "renamed"}, format="json")

    assert (
        page.context["adminform"].form.errors
        == response.json()
        == {"name": ["A cluster cannot be renamed; routes and teams refer to it."]}
    )
    assert Cluster.objects.get(pk=cluster.pk).name == "prod-eu"


def test_ingress_class_is_checked_in_the_admin_like_in_the_api(staff, api, pat, cluster):
    page = staff.post(f"/admin/clusters/cluster/{cluster.pk}/change/", admin_form(cluster, ingress_class="Not Valid"))
    response = api(pat).patch("/api/v1/clusters/prod-eu/", {"ingress_class": "Not Valid"}, format="json")

    assert response.status_code == 400
    assert page.context["adminform"].form.errors == response.json()
    assert "not a valid Kubernetes name" in response.json()["ingress_class"][0]


def test_admin_api_and_command_changes_are_audited_alike(staff, api, pat, lab, tmp_path):
    staff.post(f"/admin/clusters/cluster/{lab.pk}/change/", admin_form(lab, display_name="Lab (admin)"))
    api(pat).patch("/api/v1/clusters/lab/", {"display_name": "Lab (api)"}, format="json")
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(INSECURE_KUBECONFIG))
    call_command(
        "add_cluster", "lab", "--kubeconfig", str(path), "--insecure-skip-tls-verify", "--display-name", "Lab (command)"
    )

    events = list(AuditEvent.objects.filter(object_type="cluster", verb="edit").order_by("pk"))
    assert [(e.actor_name, e.after["display_name"], e.after["kubeconfig_replaced"]) for e in events] == [
        ("pat", "Lab (admin)", False),
        ("pat", "Lab (api)", False),
        ("system", "Lab (command)", True),
    ]
    assert all("lab-token" not in str(e.before) + str(e.after) for e in events)


def team_form(team: Team, cluster: Cluster, *, domains='["shop.example.com"]', namespace="shop") -> dict:
    row = team.namespaces.get()
    return {
        "slug": team.slug,
        "name": team.name,
        "domains": domains,
        "members": [],
        "namespaces-TOTAL_FORMS": "1",
        "namespaces-INITIAL_FORMS": "1",
        "namespaces-MIN_NUM_FORMS": "0",
        "namespaces-MAX_NUM_FORMS": "1000",
        "namespaces-0-id": str(row.pk),
        "namespaces-0-team": str(team.pk),
        "namespaces-0-cluster": str(cluster.pk),
        "namespaces-0-namespace": namespace,
    }


def test_team_domains_are_checked_in_the_admin_like_in_the_api(staff, api, pat, shop, cluster):
    page = staff.post(f"/admin/teams/team/{shop.pk}/change/", team_form(shop, cluster, domains='["not a domain"]'))
    response = api(pat).patch("/api/v1/teams/shop/", {"domains": ["not a domain"]}, format="json")

    assert response.status_code == 400
    assert (
        page.context["adminform"].form.errors
        == response.json()
        == {"domains": ['Domain "not a domain" is not a DNS name such as "shop.example.com".']}
    )
    assert Team.objects.get(pk=shop.pk).domains == ["shop.example.com"]


def test_team_namespaces_are_checked_in_the_admin_like_in_the_api(staff, api, pat, shop, cluster):
    page = staff.post(f"/admin/teams/team/{shop.pk}/change/", team_form(shop, cluster, namespace="Shop_NS"))
    response = api(pat).patch(
        "/api/v1/teams/shop/", {"namespaces": [{"cluster": "prod-eu", "namespace": "Shop_NS"}]}, format="json"
    )

    assert response.status_code == 400
    assert page.context["inline_admin_formsets"][0].formset.non_form_errors() == response.json()["namespaces"]
    assert list(Team.objects.get(pk=shop.pk).namespaces.values_list("namespace", flat=True)) == ["shop"]


def test_a_team_made_in_the_admin_is_saved_with_members_and_namespaces_and_audited(staff, alice, cluster):
    data = {
        "slug": "search",
        "name": "Search",
        "domains": '["Search.Example.com."]',
        "members": [alice.pk],
        "namespaces-TOTAL_FORMS": "1",
        "namespaces-INITIAL_FORMS": "0",
        "namespaces-MIN_NUM_FORMS": "0",
        "namespaces-MAX_NUM_FORMS": "1000",
        "namespaces-0-cluster": str(cluster.pk),
        "namespaces-0-namespace": "search",
    }
    response = staff.post("/admin/teams/team/add/", data)

    assert response.status_code == 302, response.content.decode()[-2000:]
    team = Team.objects.get(slug="search")
    assert team.domains == ["search.example.com"]  # normalised like the API's
    event = AuditEvent.objects.get(object_type="team", verb="create")
    assert (event.actor_name, event.after["members"], event.after["namespaces"]) == (
        "pat",
        ["alice"],
        ["prod-eu/search"],
    )


def test_the_demo_data_is_written_through_the_same_services(db):
    call_command("load_demo")

    assert set(AuditEvent.objects.filter(verb="create").values_list("object_type", "object_repr")) >= {
        ("cluster", "local"),
        ("team", "shop"),
        ("team", "blog"),
    }
