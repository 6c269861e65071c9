"""The property tests and the schema run together check at least 1,000 generated inputs per run."""

import pytest

from .conftest import GENERATED, GENERATOR_MODULES


def test_at_least_1000_generated_inputs_were_checked(request):
    ran = {item.nodeid.split("::")[0] for item in request.session.items}
    if not set(GENERATOR_MODULES) <= ran:
        pytest.skip("counts only when every generator module runs")
    if hasattr(request.config, "workerinput"):
        pytest.skip("under pytest-xdist the generators are spread over processes (make test runs them serially)")

    total = sum(GENERATED.values())
    print(f"generated inputs: {total} {dict(GENERATED)}")  # noqa: T201 - the count, for a run with -s
    assert total >= 1000, dict(GENERATED)
