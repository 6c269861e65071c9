"""The reachability check after an apply waits for the route to settle: a check made before the load balancer has
an address and the certificate is issued can only fail, and would turn the route Degraded as soon as the
controllers finished. PORTICO_REACHABILITY_AFTER_APPLY=0 turns the check after an apply off."""

import time

import pytest
from celery.exceptions import Retry

from routes import tasks
from routes.models import Route
from tests.fault.conftest import serve_everything
from tests.reconcile.conftest import serve_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(monkeypatch):
    """The checks reconcile_route schedules (args, kwargs, countdown), instead of sending them."""
    calls = []
    monkeypatch.setattr(
        tasks.check_reachability,
        "apply_async",
        lambda args, kwargs=None, countdown=None, **_: calls.append((args, kwargs or {}, countdown)),
    )
    return calls


@pytest.fixture
def retries(monkeypatch):
    """The countdowns check_reachability asked to be run again after (Celery's retry, without a broker)."""
    asked = []

    def retry(countdown=None, **_):
        asked.append(countdown)
        raise Retry()

    monkeypatch.setattr(tasks.check_reachability, "retry", retry)
    return asked


@pytest.fixture
def checked(monkeypatch):
    """The routes whose URL was checked (routes.reachability.run), with a failing answer recorded as it would be."""
    ran = []

    def run(route_id):
        ran.append(str(route_id))
        result = {"state": "fail", "summary": "DNS: r0.shop.example.com does not resolve", "checked_at": "now"}
        from routes.progress import record_reachability

        record_reachability(Route.objects.get(pk=route_id), result)
        return result

    monkeypatch.setattr(tasks.reachability, "run", run)
    return ran


def test_an_apply_schedules_a_check_that_may_wait_until_the_progress_deadline(approve_on_emulator, settings, scheduled):
    settings.PORTICO_REACHABILITY_AFTER_APPLY = 15
    settings.PORTICO_PROGRESS_DEADLINE = 600
    route = approve_on_emulator()
    before = time.time()

    assert tasks.reconcile_route.apply(args=[str(route.pk)]).get() == "applied"

    [(args, kwargs, countdown)] = scheduled
    assert args == (str(route.pk),) and countdown == 15
    assert before + 600 <= kwargs["settle_by"] <= time.time() + 600


def test_after_apply_zero_schedules_no_check(approve_on_emulator, settings, scheduled):
    settings.PORTICO_REACHABILITY_AFTER_APPLY = 0
    route = approve_on_emulator()

    assert tasks.reconcile_route.apply(args=[str(route.pk)]).get() == "applied"

    assert scheduled == []


def test_the_check_after_an_apply_waits_while_the_route_is_progressing(
    approve_on_emulator, kube, settings, scheduled, retries, checked
):
    settings.PORTICO_REACHABILITY_AFTER_APPLY = 15
    serve_cart(kube)  # the team's Service has a ready pod
    route = approve_on_emulator()
    tasks.reconcile_route.apply(args=[str(route.pk)])
    assert Route.objects.get(pk=route.pk).health == "Progressing"  # no address, no certificate yet

    tasks.check_reachability.apply(args=[str(route.pk)], kwargs={"settle_by": time.time() + 600})

    assert checked == [] and retries == [15]  # not checked: asked again in 15 s
    assert Route.objects.get(pk=route.pk).reachability == {}

    serve_everything(kube)  # the controllers did their part: the route is Healthy in every other respect
    tasks.reconcile_route.apply(args=[str(route.pk)])
    assert Route.objects.get(pk=route.pk).health == "Healthy"

    tasks.check_reachability.apply(args=[str(route.pk)], kwargs={"settle_by": time.time() + 600})

    assert checked == [str(route.pk)] and retries == [15]
    route = Route.objects.get(pk=route.pk)
    assert route.health == "Degraded" and route.reachability["state"] == "fail"  # a check on the settled route counts


def test_past_its_deadline_the_check_runs_on_a_route_still_progressing(
    approve_on_emulator, settings, scheduled, retries, checked
):
    settings.PORTICO_REACHABILITY_AFTER_APPLY = 15
    route = approve_on_emulator()
    tasks.reconcile_route.apply(args=[str(route.pk)])

    tasks.check_reachability.apply(args=[str(route.pk)], kwargs={"settle_by": time.time() - 1})

    assert checked == [str(route.pk)] and retries == []


def test_a_scheduled_check_does_not_wait(approve_on_emulator, settings, scheduled, retries, checked):
    route = approve_on_emulator()
    tasks.reconcile_route.apply(args=[str(route.pk)])

    tasks.check_reachability.apply(args=[str(route.pk)])

    assert checked == [str(route.pk)] and retries == []
