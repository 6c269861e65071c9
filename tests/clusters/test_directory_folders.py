"""A directory (GitOps) cluster writes only to a folder of its own under PORTICO_DIRECTORY_ROOT: absolute paths,
"..", symbolic links leading out and another cluster's folder (or one nested in it) are refused by the API, the
admin and add_cluster alike, and a folder stored before the rule is refused by the sync (docs/security.md, "One
owner per object").

Before, a cluster pointed at `local`'s folder pruned all of local's files on its first sync.
"""

import pytest
import yaml
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from clusters.models import Cluster
from routes import reconcile, services
from routes.models import Route

pytestmark = pytest.mark.django_db

KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "lab",
    "clusters": [{"name": "lab", "cluster": {"server": "https://lab.example.com:6443"}}],
    "users": [{"name": "portico", "user": {"token": "lab-token"}}],
    "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "portico"}}],
}


@pytest.fixture
def api(pat):
    client = APIClient()
    client.force_authenticate(pat)
    return client


@pytest.fixture
def root(settings):
    settings.PORTICO_DIRECTORY_ROOT.mkdir(parents=True, exist_ok=True)
    return settings.PORTICO_DIRECTORY_ROOT


def create(api, directory, name="edge"):
    return api.post("/api/v1/clusters/", {"name": name, "mode": "directory", "directory": directory}, format="json")


@pytest.mark.parametrize(
    "directory",
    [
        "/tmp/elsewhere",
        "../outside",
        "../../../../tmp",
        "a/../../b",
        "..",
        ".hidden",
        "a//b",
        "with space",
        "back\\slash",
    ],
)
def test_a_folder_outside_the_root_or_oddly_named_is_a_field_error(api, root, directory):
    response = create(api, directory)

    assert response.status_code == 400
    assert list(response.json()) == ["directory"]
    assert "relative to the export root" in response.json()["directory"][0]
    assert not Cluster.objects.filter(name="edge").exists()


def test_a_symbolic_link_leading_out_of_the_root_is_refused(api, root, tmp_path):
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")

    response = create(api, "link/edge")

    assert response.status_code == 400
    assert "leads outside the export root" in response.json()["directory"][0]


def test_another_clusters_folder_is_refused_by_name(api, root, cluster):
    response = create(api, "prod-eu")  # cluster prod-eu writes to its name's folder

    assert response.status_code == 400
    assert response.json() == {
        "directory": ['Cluster "prod-eu" already writes to this folder; each directory cluster needs its own.']
    }


@pytest.mark.parametrize("directory", ["gitops/prod-eu/edge", "gitops"])
def test_a_folder_inside_another_clusters_folder_or_holding_it_is_refused(api, root, cluster, directory):
    Cluster.objects.filter(pk=cluster.pk).update(directory="gitops/prod-eu")

    response = create(api, directory)

    assert response.status_code == 400
    assert response.json() == {
        "directory": [
            (
                'This folder and the folder of cluster "prod-eu" lie one inside the other; each directory cluster needs a '
                "folder of its own, outside the others."
            )
        ]
    }


def test_a_folder_of_its_own_is_accepted_and_used(api, root, cluster):
    assert create(api, "gitops/edge").status_code == 201

    assert Cluster.objects.get(name="edge").directory_path() == (root / "gitops/edge").resolve()


def test_moving_a_cluster_onto_another_clusters_folder_is_refused(api, root, cluster):
    assert create(api, "edge").status_code == 201

    response = api.patch("/api/v1/clusters/edge/", {"directory": "prod-eu"}, format="json")

    assert response.status_code == 400 and "already writes to this folder" in response.json()["directory"][0]
    assert Cluster.objects.get(name="edge").directory == "edge"


def test_the_admin_shows_the_same_field_error(admin_client_as, pat, root, cluster):
    page = admin_client_as(pat).post(
        "/admin/clusters/cluster/add/",
        {
            "name": "edge",
            "display_name": "",
            "mode": "directory",
            "context": "",
            "directory": "prod-eu",
            "ingress_class": "nginx",
            "default_issuer": "letsencrypt",
            "output": "ingress",
            "gateway_name": "",
            "gateway_namespace": "",
            "gateway_section_name": "",
            "kubeconfig": "",
        },
    )

    assert page.status_code == 200  # the form again: nothing saved
    assert page.context["adminform"].form.errors == {
        "directory": ['Cluster "prod-eu" already writes to this folder; each directory cluster needs its own.']
    }
    assert not Cluster.objects.filter(name="edge").exists()


def test_add_cluster_refuses_to_update_a_cluster_whose_stored_folder_is_refused(root, tmp_path):
    Cluster.objects.create(name="legacy", mode="directory", directory="../outside")
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(KUBECONFIG))

    with pytest.raises(CommandError) as refused:
        call_command("add_cluster", "legacy", "--kubeconfig", str(path))

    assert str(refused.value).startswith("directory: '../outside' is not a folder relative to the export root")


def stored_before_the_rule(**fields) -> Cluster:
    """A directory cluster as the API accepted it before folders were confined."""
    return Cluster.objects.create(mode="directory", **fields)


def test_a_sync_of_a_cluster_sharing_a_folder_prunes_nothing_and_says_why(approved_route, cluster, root):
    reconcile.reconcile_route(approved_route.pk)
    files = sorted(p.name for p in cluster.directory_path().rglob("*.yaml"))
    twin = stored_before_the_rule(name="sec-same", directory="prod-eu")

    report = reconcile.sync_cluster(twin.pk)

    assert sorted(p.name for p in cluster.directory_path().rglob("*.yaml")) == files
    assert report.deleted == 0
    twin.refresh_from_db()
    assert twin.sync_error.startswith(
        "The cluster's folder is refused, so nothing is written or pruned: "
        'Cluster "prod-eu" already writes to this folder'
    )


def test_a_cluster_with_a_folder_outside_the_root_writes_nothing_there(submit, pat, shop, root, tmp_path):
    outside = tmp_path / "scratch"
    escaped = stored_before_the_rule(name="sec-abs", directory=str(outside))
    shop.namespaces.create(cluster=escaped, namespace="shop")
    route = services.approve_route(submit("cart", on=escaped), user=pat)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DEGRADED
    reconcile.sync_cluster(escaped.pk)

    assert not outside.exists()
    route = Route.objects.get(pk=route.pk)
    assert (route.sync, route.health) == ("OutOfSync", "Degraded")
    assert any("The cluster's folder is refused" in c["message"] for c in route.conditions)


def test_a_symbolic_link_inside_the_folder_does_not_lead_writes_out(approved_route, cluster, root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    cluster.directory_path().mkdir(parents=True)
    (cluster.directory_path() / "shop").symlink_to(outside)

    assert reconcile.reconcile_route(approved_route.pk) is reconcile.Result.DEGRADED

    assert list(outside.iterdir()) == []


def test_the_clusters_page_still_answers_for_a_refused_folder(admin_client_as, pat, root):
    stored_before_the_rule(name="sec-abs", directory="../../outside")

    page = admin_client_as(pat).get("/clusters/")

    assert page.status_code == 200 and "sec-abs" in page.content.decode()
