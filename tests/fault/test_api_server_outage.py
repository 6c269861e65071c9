"""The API server answers 500, then 429 with Retry-After, then refuses connections; then it recovers.

Routes say why they are not applied (a Degraded health with an APIServerUnavailable condition naming the
failure), each task retries with capped, jittered exponential backoff (Retry-After as a floor) instead of
hammering the server, and everything converges once the server is back. The outage lasts
PORTICO_FAULT_OUTAGE_SECONDS (default 30 s), a third for each kind of failure.
"""

import re
import time
from collections import defaultdict

import pytest
from django.conf import settings

from routes.models import Route
from tests.fault.conftest import elapsed, outage_seconds, serve_everything, settled, sweep
from tests.worker.conftest import log_messages, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

ROUTES = 5  # three approved as the outage starts, one at the start of the 429 and the refusal phases
SWEEP_EVERY = 3.0  # seconds: beat's PORTICO_SYNC_INTERVAL, shortened for the test
RETRY_AFTER = 2
RETRY_LINE = re.compile(r"reconcile_route\[(?P<task>[-0-9a-f]+)\] retry: Retry in (?P<delay>[\d.]+)s: (?P<error>.*)")


def _ingress_path(name: str) -> str:
    return f"/apis/networking.k8s.io/v1/namespaces/shop/ingresses/{name}"


def test_routes_report_the_outage_back_off_and_converge_after_recovery(  # noqa: C901 - one scenario, phase by phase
    clean_broker,
    start_worker,
    many_routes,
    kube,
    emulated_cluster,
    figures,
):
    worker = start_worker("w1", concurrency=4)
    outage = outage_seconds()
    phases = [
        ("500", lambda: kube.fail_next(10**6, 500, message="etcdserver: request timed out")),
        ("429", lambda: kube.fail_next(10**6, 429, headers={"Retry-After": str(RETRY_AFTER)})),
        ("refused", kube.refuse_connections),
    ]
    first_message = {}  # route name -> the first condition it showed
    started = time.monotonic()
    phases[0][1]()
    routes = many_routes(3)  # approved as the outage starts; one more as each kind of failure begins
    next_sweep = started + SWEEP_EVERY
    current = 0
    while (now := time.monotonic()) < started + outage:
        phase = min(int((now - started) / (outage / 3)), 2)
        if phase != current:
            # The next failure starts before the previous one is lifted: no request slips through in between.
            name, start = phases[phase]
            start()
            if name == "refused":
                kube.handler.faults.clear()  # nothing is served any more
            else:
                kube.handler.faults.remove_where(lambda fault, status=int(name): fault.status != status)
            routes += many_routes(1, start=len(routes))
            current = phase
        if now >= next_sweep:
            sweep()
            next_sweep += SWEEP_EVERY
        for name, health, conditions in Route.objects.filter(pk__in=[r.pk for r in routes]).values_list(
            "name", "health", "conditions"
        ):
            for c in conditions:
                if c["type"] == "Applied" and c["status"] == "False":
                    assert (health, c["reason"]) == ("Degraded", "APIServerUnavailable")
                    assert c["message"].endswith("(retrying with backoff)")
                    first_message.setdefault(name, c["message"])
        time.sleep(0.2)
    outage_requests = list(kube.requests)  # a refused connection reaches no log
    kube.restore()
    recovered = time.monotonic()
    while Route.objects.filter(pk__in=[r.pk for r in routes], applied_revision=1, sync="Synced").count() != ROUTES:
        assert time.monotonic() - recovered < 2 * SWEEP_EVERY + 20, "routes did not converge after the recovery"
        sweep()
        time.sleep(SWEEP_EVERY)
    converged = elapsed(recovered)
    serve_everything(kube)
    sweep()
    wait_for(lambda: settled(routes), timeout=30)

    # What the routes said while it lasted: each names the failure it met first.
    assert len(routes) == ROUTES
    assert [
        ": 500 Internal Server Error: etcdserver: request timed out" in first_message[f"r{i}"] for i in range(3)
    ] == [True] * 3
    assert ": 429 " in first_message["r3"]
    assert "Cannot reach the API server" in first_message["r4"]

    # How each task retried: at most PORTICO_RECONCILE_MAX_RETRIES times, each wait within the capped
    # exponential window, and never sooner than the server's Retry-After.
    retries = defaultdict(list)
    for match in filter(None, map(RETRY_LINE.search, log_messages(worker.log_text()))):
        retries[match["task"]].append((float(match["delay"]), match["error"]))
    assert len(retries) >= ROUTES  # the first try of every route failed
    for waits in retries.values():
        assert len(waits) <= settings.PORTICO_RECONCILE_MAX_RETRIES
        for n, (delay, error) in enumerate(waits):
            if ": 429 " in error:
                assert RETRY_AFTER <= delay <= max(RETRY_AFTER, min(300.0, 2.0 * 2**n))
            else:
                assert delay <= min(300.0, 2.0 * 2**n)

    # What reached the server: per route a handful of attempts, not a loop.
    attempts = {r.name: [q for q in outage_requests if q.path == _ingress_path(r.name)] for r in routes}
    retries_per_task = max(len(w) for w in retries.values())
    for name, requests in attempts.items():
        # one try per task run (three for a 429: the client waits Retry-After in place twice) plus the sweep's
        assert len(requests) <= 3 * (retries_per_task + 1), (name, [(q.method, q.status) for q in requests])
    statuses = defaultdict(int)
    for q in outage_requests:
        statuses[q.status] += 1
    # Nothing was written while the server failed: every request was answered 500 or 429, or cut off unanswered
    # (None) when the server stopped listening.
    assert set(statuses) <= {500, 429, None}

    figures(
        outage_seconds=outage,
        sequence="500 -> 429 (Retry-After: 2) -> connection refused",
        routes=ROUTES,
        first_conditions={name: m.split(": ", 1)[-1][:80] for name, m in sorted(first_message.items())},
        requests_answered_500=statuses[500],
        requests_answered_429=statuses[429],
        route_attempts_reaching_server=sorted(len(v) for v in attempts.values()),
        task_retries=sorted(len(w) for w in retries.values()),
        longest_wait_s=max(d for w in retries.values() for d, _ in w),
        retry_waits_s=[round(d, 2) for d, _ in max(retries.values(), key=len)],
        seconds_to_converge_after_recovery=converged,
        seconds_to_all_healthy_after_recovery=elapsed(recovered),
        max_retries_setting=settings.PORTICO_RECONCILE_MAX_RETRIES,
    )
