"""One decorator gives every task its name, retries and metrics (core.tasks): the backoff is capped, jittered and
floored by a server's Retry-After; a retried error gives up with the policy's answer after the last retry; an
error the policy does not retry is raised; every run is counted by its task's short name."""

import pytest
from prometheus_client import REGISTRY

from core.tasks import RetryPolicy, backoff, instrumented_task


class Busy(Exception):
    retry_after = None


class Broken(Exception):
    pass


@instrumented_task(name="tests.core.always_busy", retry=RetryPolicy(on=(Busy,), max_retries=0, gave_up="gave-up"))
def always_busy() -> str:
    raise Busy("the server is busy")


@instrumented_task(name="tests.core.broken", retry=RetryPolicy(on=(Busy,), max_retries=3, gave_up="gave-up"))
def broken() -> str:
    raise Broken("not something a retry fixes")


def finished(task: str, state: str) -> float:
    return REGISTRY.get_sample_value("portico_tasks_total", {"task": task, "state": state}) or 0.0


@pytest.mark.parametrize(
    ("retries", "rand", "expected"),
    [
        (0, lambda: 1.0, 2.0),
        (3, lambda: 1.0, 16.0),
        (20, lambda: 1.0, 300.0),
        (3, lambda: 0.0, 0.0),
    ],
)
def test_full_jitter_backoff_doubles_up_to_its_cap(retries, rand, expected):
    assert backoff(retries, base=2.0, cap=300.0, rand=rand) == expected


def test_half_jitter_never_waits_less_than_half_the_step_and_retry_after_is_a_floor():
    assert backoff(2, base=30.0, cap=3600.0, jitter=0.5, rand=lambda: 0.0) == 60.0
    assert backoff(2, base=30.0, cap=3600.0, jitter=0.5, rand=lambda: 1.0, retry_after=500.0) == 500.0


def test_a_retried_error_gives_up_with_the_policy_answer_after_the_last_retry():
    before = finished("always_busy", "success")

    result = always_busy.apply()

    assert result.get() == "gave-up"
    assert finished("always_busy", "success") == before + 1


def test_an_error_the_policy_does_not_retry_is_raised_and_counted_as_a_failure():
    before = finished("broken", "failure")

    result = broken.apply()

    assert isinstance(result.result, Broken) and result.failed()
    assert finished("broken", "failure") == before + 1
