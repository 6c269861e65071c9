"""manage.py import_ingresses: a table of what it found, adoption unless --dry-run, and honest exit codes."""

import pytest
from django.core.management import CommandError, call_command

from routes.models import Route
from tests.adopt.conftest import INGRESS
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def run(*args):
    call_command("import_ingresses", *args)


def test_prints_a_table_and_adopts_what_it_can(kube_cluster, hand_made, realkube, capsys):
    hand_made("cart")
    hand_made("legacy", host="legacy.shop.example.com", ingress_class="traefik")

    run("--cluster", "real")

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["INGRESS", "HOST+PATH", "TEAM", "ADOPTION"]
    assert lines[1].split()[:4] == ["shop/cart", "cart.shop.example.com/", "shop", "adoptable"]
    assert lines[2].split()[:3] == ["shop/legacy", "legacy.shop.example.com/", "shop"]
    assert 'Its ingressClassName is "traefik"' in lines[2]
    assert "1 of 2 can be adopted." in out
    route = Route.objects.get(name="cart")
    assert f"adopted shop/cart as route {route.pk} (team shop)" in out
    assert route.created_by.username == "portico-system"
    assert realkube.get(*INGRESS, "shop", "cart")["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "portico"
    assert not Route.objects.filter(name="legacy").exists()


def test_dry_run_writes_nothing(kube_cluster, hand_made, realkube, capsys):
    hand_made("cart")
    realkube.clear_requests()

    run("--cluster", "real", "--dry-run")

    assert "Dry run: nothing was changed." in capsys.readouterr().out
    assert realkube.writes() == [] and not Route.objects.exists()


def test_adopts_as_a_named_platform_engineer(kube_cluster, hand_made, pat):
    hand_made("cart")

    run("--cluster", "real", "--as", "pat")

    assert Route.objects.get(name="cart").created_by == pat


def test_refuses_to_act_as_someone_who_is_not_a_platform_engineer(kube_cluster, hand_made, alice, realkube):
    hand_made("cart")

    with pytest.raises(CommandError, match='"alice" is not a platform engineer'):
        run("--cluster", "real", "--as", "alice")
    assert realkube.writes() == []


def test_only_the_namespace_asked_for(kube_cluster, hand_made, capsys):
    hand_made("cart")
    hand_made("blog", namespace="blog", host="blog.example.com")

    run("--cluster", "real", "--namespace", "blog", "--dry-run")

    out = capsys.readouterr().out
    assert "blog/blog" in out and "shop/cart" not in out


def test_says_so_when_there_is_nothing_to_adopt(kube_cluster, capsys):
    run("--cluster", "real")

    assert "No Ingresses without Portico's label on real." in capsys.readouterr().out


def test_an_unreachable_cluster_exits_non_zero(emulated_kube_cluster, kube):
    """On the emulator: it refuses connections on demand."""
    kube.refuse_connections()

    try:
        with pytest.raises(CommandError, match="Cannot list the Ingresses of kind: Cannot reach the API server"):
            run("--cluster", "kind")
    finally:
        kube.restore()


def test_a_failed_adoption_exits_non_zero(emulated_kube_cluster, kube, capsys):
    """On the emulator: a real server does not answer 500 on demand."""
    from tests.adopt.conftest import ingress_body

    kube.create(ingress_body("cart"))
    kube.fail_next(n=1, status=500, methods=["PATCH"])

    with pytest.raises(CommandError, match="1 adoption"):
        run("--cluster", "kind")
    assert "failed  shop/cart: The cluster did not accept Portico's labels" in capsys.readouterr().err


def test_a_directory_cluster_cannot_adopt(cluster):
    with pytest.raises(CommandError, match="Adoption needs a kubernetes-mode cluster"):
        run("--cluster", cluster.name)


def test_an_unknown_cluster_exits_non_zero(db):
    with pytest.raises(CommandError, match='No cluster named "nowhere"'):
        run("--cluster", "nowhere")


def test_an_unknown_user_exits_non_zero(kube_cluster):
    make_user("someone")
    with pytest.raises(CommandError, match='No user named "nobody"'):
        run("--cluster", "real", "--as", "nobody")
    assert not Route.objects.exists()
