"""Admission before approval on the local kube-apiserver (tests/realkube), as deploy/target-rbac.yaml's identity:
the review queue shows what the API server answers to a server-side dry run (dryRun=All) of the pending revision,
the API server's Status message and nothing more, and the dry run stores nothing."""

import pytest

from routes.admission import dry_run_revision
from routes.domain.values import Backend
from tests.factories import stored_before_the_rule
from tests.reconcile.conftest import INGRESS, SERVICE

pytestmark = pytest.mark.django_db


def test_a_revision_the_server_accepts_is_said_so_and_nothing_is_stored(realkube, kube_cluster, submit):
    route = submit("cart", on=kube_cluster)

    result = dry_run_revision(route)

    assert result.state == "accepted", result
    assert [(a.kind, a.accepted) for a in result.answers] == [("Ingress", True), ("Certificate", True)]
    assert realkube.get(*INGRESS, "shop", "cart") is None
    assert realkube.writes() and all(w.query.get("dryRun") == "All" for w in realkube.writes())
    assert realkube.refused() == []


def test_a_namespace_missing_on_the_cluster_is_refused_by_admission_before_approval(realkube, shop, submit):
    cluster = realkube.cluster(shop, namespaces=("billing",))  # granted to the team, never created on the cluster

    result = dry_run_revision(submit("cart", on=cluster, namespace="billing"))

    assert result.state == "refused"
    assert "approving would leave the route Degraded" in result.summary
    [first, *_] = [a for a in result.answers if not a.accepted]
    assert first.kind == "Ingress" and first.name == "billing/cart"
    assert first.message == '404 NotFound: namespaces "billing" not found'


def test_an_invalid_object_is_refused_with_the_servers_message(realkube, kube_cluster, submit):
    """A managed Service whose selector value the API server refuses, stored before policy checked selectors: the
    rendered object passes the schema (a string is a string) and only the server's validation refuses it."""
    route = submit(
        "cart",
        on=kube_cluster,
        backend=Backend(service_name="cart", service_port=80, target_port=8080, selector={"app": "cart"}),
    )
    route = stored_before_the_rule(route, Backend(selector={"app": "not a label value!"}))

    result = dry_run_revision(route)

    [refused] = [a for a in result.answers if not a.accepted]
    assert result.state == "refused" and refused.kind == "Service"
    assert refused.message.startswith("422 Invalid: ") and "spec.selector" in refused.message
    assert realkube.get(*SERVICE, "shop", "cart") is None


def test_the_review_queue_loads_the_answer_as_a_fragment_for_platform_engineers_only(
    realkube, shop, submit, client, pat, alice
):
    cluster = realkube.cluster(shop, namespaces=("billing",))
    route = submit("cart", on=cluster, namespace="billing")
    client.force_login(pat)

    queue = client.get("/reviews/").content.decode()
    fragment = client.get(f"/reviews/{route.pk}/dry-run/", HTTP_HX_REQUEST="true")
    client.force_login(alice)
    refused = client.get(f"/reviews/{route.pk}/dry-run/", HTTP_HX_REQUEST="true")

    assert f'hx-get="/reviews/{route.pk}/dry-run/"' in queue
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "The API server refuses" in text and "namespaces &quot;billing&quot; not found" in text
    assert refused.status_code == 403
