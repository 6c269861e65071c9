"""QuickSelect (routes/views/widgets.py) writes exactly the markup of Django's Select templates, and the route
list's team and cluster filters read their choices with one plain query."""

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.filtersets import RouteFilterSet
from routes.models import Route
from routes.views.widgets import QuickSelect

values = st.one_of(st.text(max_size=6), st.integers(-3, 300))
choices = st.lists(st.tuples(values, st.text(max_size=8)), max_size=5)
attrs = st.dictionaries(
    st.sampled_from(["id", "class", "required", "disabled", "aria-invalid", "data-x"]),
    st.one_of(st.booleans(), st.text(max_size=5), st.integers(0, 9)),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(choices=choices, value=st.one_of(st.none(), values, st.lists(values, max_size=2)), attrs=attrs)
def test_the_markup_is_djangos(choices, value, attrs):
    django_select, quick = forms.Select(choices=choices), QuickSelect(choices=choices)

    assert quick.render("field<", value, attrs) == django_select.render("field<", value, attrs)


@pytest.mark.parametrize(
    "choices",
    [
        [("", gettext_lazy("Any")), ("a", gettext_lazy("A & B"))],  # lazy labels
        [("Group", [("a", "A"), ("b", "B")]), ("c", "C")],  # option groups: Django's own path
        [(1, 2), (True, "yes")],  # a label that is not text, a value that is a bool: Django's own path
    ],
)
def test_the_markup_is_djangos_for_other_choices(choices):
    assert QuickSelect(choices=choices).render("f", "a", {"id": "id_f"}) == forms.Select(choices=choices).render(
        "f", "a", {"id": "id_f"}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"team": "shop", "health": "Healthy"}, {"cluster": "nope", "approval": "x<"}])
def test_the_filter_form_renders_as_with_djangos_select(shop, other_team, cluster, query):
    quick = RouteFilterSet(query or None, queryset=Route.objects.all()).form
    plain = RouteFilterSet(query or None, queryset=Route.objects.all()).form
    for field in plain.fields.values():
        if isinstance(field.widget, QuickSelect):
            field.widget = forms.Select(choices=field.widget.choices)
    plain.is_valid(), quick.is_valid()

    assert [str(field) for field in quick] == [str(field) for field in plain]


@pytest.mark.django_db
def test_team_and_cluster_choices_are_one_query_each(shop, other_team, cluster):
    form = RouteFilterSet(None, queryset=Route.objects.all()).form

    with CaptureQueriesContext(connection) as captured:
        html = str(form["team"]) + str(form["cluster"])

    assert 'value="shop"' in html and f'value="{cluster.name}"' in html
    assert len(captured) == 2
    assert not any("DECLARE" in query["sql"] for query in captured)
