"""A sync sends its independent lists a few at a time (routes/reconcile/fanout.py) and still handles their answers
and failures in order, as one list after another did."""

import threading

import pytest

from routes.reconcile.fanout import CONCURRENCY, gather


def test_the_answers_come_back_in_the_order_of_the_calls():
    assert gather([lambda i=i: i * i for i in range(10)]) == [i * i for i in range(10)]


def test_a_failed_call_gives_its_exception_in_its_place_and_the_others_still_answer():
    boom = PermissionError("forbidden")

    def refused():
        raise boom

    assert gather([lambda: 1, refused, lambda: 3]) == [1, boom, 3]


def test_the_calls_run_at_the_same_time():
    """Each call waits for all the others: one after another, the first would wait for ever (the barrier breaks)."""
    together = threading.Barrier(CONCURRENCY, timeout=30)

    answers = gather([together.wait for _ in range(CONCURRENCY)])

    assert sorted(answers) == list(range(CONCURRENCY))


@pytest.mark.django_db
def test_the_lists_of_a_sync_are_those_it_sent_one_after_another(approve, realkube):
    """Every namespace's Services, EndpointSlices and NetworkPolicies once, Portico's kinds and the foreign
    Ingresses once each, whatever thread sent them."""
    from routes import reconcile

    realkube.add_namespace("blog")
    for name in ("cart", "shop-api"):
        realkube.serve(name)
    route = approve()
    approve("api", host="api.shop.example.com", path="/api")
    reconcile.sync_cluster(route.cluster_id)
    realkube.clear_requests()

    reconcile.sync_cluster(route.cluster_id)

    lists = sorted(
        (r.path, r.query.get("labelSelector", ""))
        for r in realkube.requests
        if "limit" in r.query  # the lists
    )
    assert len(lists) == len(set(lists))
    assert ("/api/v1/namespaces/shop/services", "") in lists
    assert ("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices", "kubernetes.io/service-name in (cart)") in lists
    assert ("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies", "") in lists
    assert ("/apis/networking.k8s.io/v1/ingresses", "app.kubernetes.io/managed-by!=portico") in lists
    assert {r.status for r in realkube.requests if "limit" in r.query} == {200}  # each list's own answer
