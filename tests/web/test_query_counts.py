"""Pages cost a fixed number of queries however many routes there are (docs/architecture.md, "Scale")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from routes.views.reviews import REVIEWS_PER_PAGE

# Session, user and group lookups are part of every page; the rest is the page's own.
BUDGET = {
    "routes:dashboard": 10,
    "routes:list": 10,
    "clusters:list": 6,
    # checks.check_request gathers conflict inputs with 2 queries per pending revision, so the queue's cost
    # is bounded by its page size, not by how many routes or pending revisions exist.
    "routes:review_queue": 12 + 2 * REVIEWS_PER_PAGE,
}


def queries_for(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **headers).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 200])
@pytest.mark.parametrize("url_name", list(BUDGET))
def test_page_stays_within_its_query_budget(login, pat, many_routes, django_assert_max_num_queries, url_name, count):
    many_routes(count)
    client = login(pat)

    with django_assert_max_num_queries(BUDGET[url_name]):
        assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["routes:dashboard", "routes:list"])
@pytest.mark.parametrize("who", ["alice", "pat"])
def test_query_count_is_the_same_for_5_and_200_routes(request, login, many_routes, url_name, who):
    client = login(request.getfixturevalue(who))
    many_routes(5)
    with_5 = queries_for(client, reverse(url_name))

    many_routes(195, start=5)

    assert queries_for(client, reverse(url_name)) == with_5


@pytest.mark.django_db
def test_route_table_fragment_query_count_is_the_same_for_5_and_200_routes(login, alice, many_routes, htmx_headers):
    client = login(alice)
    many_routes(5, approved=True)
    with_5 = queries_for(client, reverse("routes:list"), **htmx_headers)

    many_routes(195, start=5, approved=True)

    assert queries_for(client, reverse("routes:list"), **htmx_headers) == with_5


@pytest.mark.django_db
def test_review_queue_query_count_stops_growing_at_one_page(login, pat, many_routes):
    client = login(pat)
    many_routes(REVIEWS_PER_PAGE + 5)
    one_full_page = queries_for(client, reverse("routes:review_queue"))

    many_routes(100, start=REVIEWS_PER_PAGE + 5)

    assert queries_for(client, reverse("routes:review_queue")) == one_full_page


@pytest.mark.django_db
def test_status_fragment_query_count_is_small_and_fixed(
    login, alice, approved_route, django_assert_max_num_queries, htmx_headers
):
    client = login(alice)

    with django_assert_max_num_queries(5):
        assert client.get(approved_route.get_absolute_url(), **htmx_headers).status_code == 200


# Session, user (with the platform-group answer, sso.backends.SessionUserBackend), the route with its host claim,
# its revisions, its reviews, its audit trail.
ROUTE_PAGE_QUERIES = 6


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "pat"])
def test_route_page_query_count_is_fixed_and_the_same_for_5_and_200_routes(
    request, login, many_routes, django_assert_num_queries, who
):
    client = login(request.getfixturevalue(who))
    route = many_routes(5, approved=True)[2]
    with django_assert_num_queries(ROUTE_PAGE_QUERIES):
        assert client.get(route.get_absolute_url()).status_code == 200

    many_routes(195, start=5, approved=True)

    with django_assert_num_queries(ROUTE_PAGE_QUERIES):
        assert client.get(route.get_absolute_url()).status_code == 200
