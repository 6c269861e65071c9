"""The Django choices of route states carry exactly the pure domain's values, so diagnostics (which names states
without Django) and the database, the API and the pages mean the same thing by each value."""

import pytest

from routes.choices import ApprovalChoices, HealthChoices, SyncChoices
from routes.domain.status import Approval, Health, Sync


@pytest.mark.parametrize(
    ("choices", "values"), [(ApprovalChoices, Approval), (SyncChoices, Sync), (HealthChoices, Health)]
)
def test_choices_have_the_domain_values_and_only_those(choices, values):
    assert [choice.value for choice in choices] == [value.value for value in values]
    assert all(choices(value) == value for value in values)
