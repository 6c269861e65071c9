"""The probe reads what a cluster is built from, on the local kube-apiserver (tests/realkube), as
deploy/target-rbac.yaml's identity: the ingress controller behind the IngressClass and the CNI behind kube-system's
DaemonSets, shown on the clusters page and in the clusters API."""

import pytest

from clusters import facts, probe

pytestmark = pytest.mark.django_db


def daemonset(name: str) -> dict:
    labels = {"k8s-app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "agent", "image": "registry.example/agent:1"}]},
            },
        },
    }


@pytest.fixture
def kube_cluster(realkube, shop):
    """Added with add_cluster as deploy/target-rbac.yaml's identity, and probed."""
    return realkube.cluster(shop)


@pytest.fixture
def kube_system(realkube):
    """Creates DaemonSets in kube-system, and removes them after the test (the clean-up keeps that namespace)."""
    made = []

    def add(*names: str) -> None:
        for name in names:
            realkube.create(daemonset(name))
            made.append(name)

    yield add
    for name in made:
        realkube.delete("apps/v1", "DaemonSet", "kube-system", name)


def test_the_ingress_nginx_controller_is_read_from_the_ingress_class(kube_cluster):
    assert kube_cluster.ingress_controller == "k8s.io/ingress-nginx"
    assert kube_cluster.controller_family == facts.INGRESS_NGINX


@pytest.mark.parametrize(
    ("controller", "family"),
    [
        ("traefik.io/ingress-controller", facts.TRAEFIK),
        ("haproxy.org/ingress-controller/haproxy", facts.HAPROXY),
        ("example.com/some-controller", facts.UNKNOWN_CONTROLLER),
    ],
)
def test_other_controllers_are_read_from_their_ingress_class(realkube, shop, controller, family):
    realkube.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "edge"},
            "spec": {"controller": controller},
        }
    )

    cluster = realkube.cluster(shop, ingress_class="edge")

    assert cluster.ingress_controller == controller and cluster.controller_family == family
    assert realkube.refused() == []


def test_no_cni_daemonset_leaves_the_cni_unknown(kube_cluster):
    assert kube_cluster.cni == "" and kube_cluster.network_policy_enforced is None
    assert kube_cluster.health_message == "All checks passed."


@pytest.mark.parametrize(
    ("daemonsets", "cni", "enforced"),
    [
        (["calico-node"], facts.CALICO, True),
        (["cilium", "cilium-envoy"], facts.CILIUM, True),
        (["kube-flannel-ds"], facts.FLANNEL, False),
        (["canal"], facts.CANAL, True),
        (["calico-node", "kube-flannel-ds"], facts.CANAL, True),
        (["kube-proxy"], facts.UNKNOWN_CNI, None),
    ],
)
def test_the_cni_is_read_from_kube_systems_daemonsets(realkube, kube_cluster, kube_system, daemonsets, cni, enforced):
    kube_system(*daemonsets)

    cluster = probe.probe_cluster(kube_cluster.pk)

    assert (cluster.cni, cluster.network_policy_enforced) == (cni, enforced)
    assert cluster.health_message == "All checks passed."
    assert realkube.refused() == []


def test_the_clusters_page_and_api_show_the_controller_and_cni(realkube, kube_cluster, kube_system, client, alice):
    kube_system("kube-flannel-ds")
    probe.probe_cluster(kube_cluster.pk)
    client.force_login(alice)

    page = client.get("/clusters/").content.decode()
    body = client.get(f"/api/v1/clusters/{kube_cluster.name}/").json()

    assert "ingress-nginx" in page and "Flannel" in page and "does not enforce NetworkPolicy" in page
    assert body["ingress_controller"] == "k8s.io/ingress-nginx"
    assert body["health"]["cni"] == "flannel" and body["health"]["network_policy_enforced"] is False


@pytest.mark.parametrize(
    ("names", "cni"),
    [
        (["kube-flannel-ds-amd64"], facts.FLANNEL),
        (["calico-node", "cilium"], facts.CALICO),
        (["canalx"], facts.UNKNOWN_CNI),
        ([], facts.UNKNOWN_CNI),
    ],
)
def test_detect_cni_by_daemonset_names(names, cni):
    assert facts.detect_cni(names) == cni
