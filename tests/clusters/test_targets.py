"""Both places a cluster's objects can go satisfy one interface (clusters.targets.Target), and open_target picks
the right one for a cluster: its API server, or its own folder under PORTICO_DIRECTORY_ROOT."""

import pytest

from clusters.directory import DirectoryTarget, FolderError
from clusters.kube import SERVICE, KubeClient
from clusters.models import Cluster
from clusters.targets import Target, open_target

pytestmark = pytest.mark.django_db

SERVICE_OBJECT = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "cart", "namespace": "shop", "labels": {"app.kubernetes.io/managed-by": "portico"}},
    "spec": {"ports": [{"port": 80}]},
}


def test_directory_cluster_opens_its_folder_and_writes_what_it_is_given(settings):
    cluster = Cluster.objects.create(name="gitops", mode="directory", directory="gitops")

    with open_target(cluster) as target:
        target.apply(SERVICE_OBJECT)
        listed = target.list(SERVICE, namespace="shop", label_selector="app.kubernetes.io/managed-by=portico")

    assert isinstance(target, DirectoryTarget) and isinstance(target, Target)
    assert listed == [SERVICE_OBJECT]
    assert (settings.PORTICO_DIRECTORY_ROOT / "gitops" / "shop" / "service-cart.yaml").is_file()


def test_kubernetes_cluster_opens_a_client_for_its_api_server(realkube, shop):
    cluster = realkube.cluster(shop, probe=False)

    with open_target(cluster) as target:
        target.apply(SERVICE_OBJECT)
        found = target.get(SERVICE, "cart", "shop")

    assert isinstance(target, KubeClient) and isinstance(target, Target)
    assert found["spec"]["ports"][0]["port"] == 80


def test_directory_cluster_with_a_folder_not_its_own_opens_nothing(settings):
    settings.PORTICO_DIRECTORY_ROOT.mkdir(parents=True)
    Cluster.objects.create(name="first", mode="directory", directory="shared")
    # Stored before the folder rule existed: a second cluster pointing at the first one's folder.
    Cluster.objects.bulk_create([Cluster(name="second", mode="directory", directory="shared")])

    with pytest.raises(FolderError):
        open_target(Cluster.objects.get(name="second"))
