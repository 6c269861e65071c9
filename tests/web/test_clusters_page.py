"""The clusters page: each cluster's last probe, and what to fix when a check fails."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Cluster


def probed(name, **health):
    values = {
        "reachable": True,
        "server_version": "v1.31.2",
        "ingress_class_present": True,
        "cert_manager_present": True,
        "issuer_present": True,
        **health,
    }
    return Cluster.objects.create(name=name, mode="kubernetes", checked_at=timezone.now(), **values)


def card(html, name):
    start = html.index(f'id="cluster-{name}"')
    return html[start : html.index("</article>", start)]


@pytest.mark.django_db
def test_healthy_cluster_shows_version_and_every_check_passing(login, alice):
    probed("prod")

    html = card(login(alice).get(reverse("clusters:list")).content.decode(), "prod")

    assert "Healthy" in html and "Kubernetes v1.31.2" in html
    assert html.count("check-ok") == 4 and "check-fail" not in html


@pytest.mark.django_db
def test_each_failed_check_says_what_to_fix(login, alice):
    probed("no-ingress", ingress_class_present=False)
    probed("no-certs", cert_manager_present=False, issuer_present=False)

    html = login(alice).get(reverse("clusters:list")).content.decode()

    assert "Needs attention" in card(html, "no-ingress")
    assert 'Install one that provides IngressClass "nginx"' in card(html, "no-ingress")
    assert "Install cert-manager" in card(html, "no-certs") and "Create the ClusterIssuer" in card(html, "no-certs")


@pytest.mark.django_db
def test_unreachable_cluster_explains_the_failure_and_skips_the_other_checks(login, alice, pat):
    probed("down", reachable=False, health_message="Cannot reach the API server: connection refused")

    html = card(login(alice).get(reverse("clusters:list")).content.decode(), "down")

    assert "Check the server address and credentials" in html and "could not reach the API server" in html
    assert "cannot be checked until the API server answers" in html
    assert "connection refused" not in html  # the raw message is for platform engineers
    assert "connection refused" in card(login(pat).get(reverse("clusters:list")).content.decode(), "down")


@pytest.mark.django_db
def test_unchecked_and_directory_clusters_say_why_there_is_no_health(login, alice, cluster):
    Cluster.objects.create(name="new", mode="kubernetes")

    html = login(alice).get(reverse("clusters:list")).content.decode()

    assert "Not checked yet" in card(html, "new")
    assert "GitOps export" in card(html, "prod-eu")


@pytest.mark.django_db
def test_insecure_cluster_is_flagged(login, alice):
    probed("lab", insecure_skip_tls_verify=True)

    assert "TLS verification off" in card(login(alice).get(reverse("clusters:list")).content.decode(), "lab")


@pytest.mark.django_db
def test_credentials_never_appear(login, pat, kube_kubeconfig):
    cluster = Cluster(name="kind", mode="kubernetes")
    cluster.set_kubeconfig(kube_kubeconfig)
    cluster.save()

    html = login(pat).get(reverse("clusters:list")).content.decode()

    assert cluster.kubeconfig_encrypted not in html
    assert kube_kubeconfig["users"][0]["user"]["token"] not in html
