"""A team's slug labels every object of its routes, so it is a DNS-1123 label (core.names), said plainly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.names import is_dns1123_label, is_label_value
from teams.models import team_slug_problem


@pytest.mark.parametrize(
    ("slug", "fragment"),
    [
        ("shop", None),
        ("a", None),
        ("shop-2", None),
        ("x" * 63, None),
        ("-sec-bad-", "must start and end with a letter or digit"),
        ("Shop", "must be lower-case"),
        ("sec_bad", 'may contain only lower-case letters, digits and "-"'),
        ("x" * 64, "is 64 characters long"),
        ("", "A team needs a slug"),
        (None, "A team needs a slug"),
    ],
)
def test_team_slug_problem(slug, fragment):
    problem = team_slug_problem(slug)

    assert problem is None if fragment is None else fragment in problem


@given(st.text(max_size=70))
def test_a_team_slug_policy_accepts_always_labels_objects(slug):
    if team_slug_problem(slug) is None:
        assert is_label_value(slug) and is_dns1123_label(slug)
