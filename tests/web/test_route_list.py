"""The route list: filters, search, pagination, and a table that polls only while something is moving."""

import re

import pytest
from django.urls import reverse

from routes import reconcile, services
from routes.views.pages import ROUTES_PER_PAGE
from tests.factories import spec


def names(response) -> list[str]:
    return [route.name for route in response.context["page"]]


@pytest.mark.django_db
def test_developer_sees_only_their_teams_routes(login, submit, bob, other_team, cluster):
    submit("cart")
    services.submit_route(
        user=bob, team=other_team, cluster=cluster, namespace="blog", name="blog", spec=spec(host="blog.example.com")
    )

    assert names(login(bob).get(reverse("routes:list"))) == ["blog"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "r1"}, ["r1"]),
        ({"q": "R2.SHOP"}, ["r2"]),
        ({"approval": "approved"}, ["r0"]),
        ({"approval": "pending"}, ["r1", "r2"]),
        ({"health": "Progressing"}, ["r0"]),
        ({"team": "shop", "cluster": "prod-eu", "namespace": "shop"}, ["r0", "r1", "r2"]),
        ({"namespace": "elsewhere"}, []),
    ],
)
def test_filters_and_search_narrow_the_list(login, alice, pat, many_routes, query, expected):
    routes = many_routes(3)
    services.approve_route(routes[0], user=pat)

    assert names(login(alice).get(reverse("routes:list"), query)) == expected


@pytest.mark.django_db
def test_team_filter_offers_only_the_users_teams(login, alice, other_team):
    html = login(alice).get(reverse("routes:list")).content.decode()

    assert 'value="shop"' in html and 'value="blog"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["team", "cluster", "approval", "sync", "health"])
def test_each_choice_filter_starts_with_one_any_and_no_dashes(login, alice, name):
    html = login(alice).get(reverse("routes:list")).content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)

    assert options[0] == ("", "Any")
    assert [label for value, label in options if value == ""] == ["Any"]
    assert "-----" not in select


@pytest.mark.django_db
def test_list_is_paginated_and_keeps_filters_in_page_links(login, alice, many_routes):
    many_routes(ROUTES_PER_PAGE + 2)

    response = login(alice).get(reverse("routes:list"), {"approval": "pending", "page": 2})

    assert len(names(response)) == 2
    html = response.content.decode()
    assert "Page 2 of 2" in html and 'href="?approval=pending&amp;page=1"' in html


@pytest.mark.django_db
def test_htmx_request_gets_only_the_table_fragment_and_vary_header(login, alice, many_routes, htmx_headers):
    many_routes(2)
    client = login(alice)

    page = client.get(reverse("routes:list"))
    fragment = client.get(reverse("routes:list"), **htmx_headers)

    assert "<html" in page.content.decode() and 'id="route-table"' in page.content.decode()
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="route-table"')
    assert "<html" not in body and 'class="topbar"' not in body
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in page["Vary"]


@pytest.mark.django_db
def test_history_restore_gets_the_whole_page(login, alice, htmx_headers):
    response = login(alice).get(reverse("routes:list"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **htmx_headers)

    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_table_polls_while_a_route_is_being_applied_and_stops_when_settled(login, alice, approved_route, htmx_headers):
    client = login(alice)
    assert 'hx-trigger="every 3s"' in client.get(reverse("routes:list")).content.decode()

    reconcile.reconcile_route(approved_route.pk)

    response = client.get(reverse("routes:list"), **htmx_headers)
    assert "Healthy" in response.content.decode()
    assert "hx-trigger" not in response.content.decode()


@pytest.mark.django_db
def test_pending_routes_do_not_poll(login, alice, submit):
    submit()

    assert "hx-trigger" not in login(alice).get(reverse("routes:list"), HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.django_db
def test_badges_use_the_choices_colours(login, alice, approved_route):
    html = login(alice).get(reverse("routes:list")).content.decode()

    assert '<span class="badge badge-green" title="Approval: Approved">Approved</span>' in html
    assert '<span class="badge badge-yellow" title="Sync: Out of sync">Out of sync</span>' in html
    assert '<span class="badge badge-blue" title="Health: Progressing">Progressing</span>' in html
