"""routes.progress.judge: the deadline that turns an endless Progressing into Degraded, on the status values the
reconciler is about to write (no cluster needed: the values are what diagnostics.evaluate returns)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from routes import progress

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WAITING = [
    {"step": "ingress", "title": "Ingress", "status": "warn", "detail": "The Ingress has no address yet."},
    {"step": "service", "title": "Service", "status": "ok", "detail": "Service cart has port 8080."},
]


def route(**fields):
    return SimpleNamespace(
        **{
            "health": "Progressing",
            "conditions": [],
            "diagnostics": WAITING,
            "progressing_since": None,
            "deletion_requested_at": None,
            **fields,
        }
    )


def values(health="Progressing"):
    return {"health": health, "conditions": [{"type": "Ready", "status": "False"}], "diagnostics": WAITING}


def test_progressing_starts_the_clock(settings):
    settings.PORTICO_PROGRESS_DEADLINE = 600

    judged = progress.judge(route(progressing_since=None), values(), NOW)

    assert judged["progressing_since"] == NOW and judged["health"] == "Progressing"


def test_within_the_deadline_nothing_changes_but_the_clock_is_kept(settings):
    settings.PORTICO_PROGRESS_DEADLINE = 600
    since = NOW - timedelta(seconds=600)

    judged = progress.judge(route(progressing_since=since), values(), NOW)

    assert judged["health"] == "Progressing" and judged["progressing_since"] == since
    assert judged["diagnostics"] == WAITING


def test_past_the_deadline_it_is_degraded_with_the_waiting_steps_as_failures(settings):
    settings.PORTICO_PROGRESS_DEADLINE = 600
    since = NOW - timedelta(minutes=25)

    judged = progress.judge(route(progressing_since=since), values(), NOW)

    assert judged["health"] == "Degraded"
    assert judged["diagnostics"][0] == {
        "step": "ingress",
        "title": "Ingress",
        "status": "fail",
        "detail": "Still not done after 25 minutes: The Ingress has no address yet.",
    }
    assert judged["diagnostics"][1]["status"] == "ok"
    stalled = judged["conditions"][-1]
    assert stalled == {
        "type": "Stalled",
        "status": "True",
        "reason": "ProgressDeadlineExceeded",
        "message": "Progressing for 25 minutes, longer than the 10 minutes a route may take "
        "(PORTICO_PROGRESS_DEADLINE): Ingress. Still not done after 25 minutes: The Ingress "
        "has no address yet.",
        "last_transition_time": since.isoformat(),
    }
    assert WAITING[0]["status"] == "warn"  # the caller's values are not changed in place


def test_settling_forgets_the_clock_and_the_stall(settings):
    settings.PORTICO_PROGRESS_DEADLINE = 600
    stalled = {"type": "Stalled", "status": "True"}

    judged = progress.judge(
        route(progressing_since=NOW - timedelta(hours=2), conditions=[stalled]),
        {**values("Healthy"), "conditions": [stalled, {"type": "Ready", "status": "True"}]},
        NOW,
    )

    assert judged["health"] == "Healthy" and judged["progressing_since"] is None
    assert [c["type"] for c in judged["conditions"]] == ["Ready"]


def test_a_route_being_deleted_is_left_progressing(settings):
    settings.PORTICO_PROGRESS_DEADLINE = 600

    judged = progress.judge(route(progressing_since=NOW - timedelta(hours=2), deletion_requested_at=NOW), values(), NOW)

    assert judged["health"] == "Progressing" and judged["progressing_since"] is None
