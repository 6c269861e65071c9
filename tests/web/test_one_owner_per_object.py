"""The pages refuse a second owner of an object like the API does: a field error on the form, a blocking
conflict in the review queue (docs/security.md, "One owner per object")."""

import html as html_lib

import pytest
from django.urls import reverse

from routes import services
from routes.domain.values import Backend
from routes.models import Route
from tests.factories import stored_before_the_rule
from tests.web.test_route_form import errors_of

pytestmark = pytest.mark.django_db

FRONTEND = Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"})
TAKEN = 'Service "shop/frontend" is managed by route "shop/frontend" of team "shop"'


@pytest.fixture
def frontend(submit, pat):
    return services.approve_route(submit("frontend", host="shop.example.com", backend=FRONTEND), user=pat)


def hijack_form(form_data, **changes):
    return form_data(
        **{
            "name": "sec-hijack",
            "host": "hijack.shop.example.com",
            "backend_kind": "managed",
            "service_name": "frontend",
            "service_port": "80",
            "target_port": "9999",
            "selector": "app=evil",
            **changes,
        }
    )


def test_the_form_puts_the_owner_on_the_service_name_and_creates_nothing(login, alice, frontend, form_data):
    response = login(alice).post(reverse("routes:create"), hijack_form(form_data))

    assert response.status_code == 200  # the form again, with the error
    assert errors_of(response, "service_name").strip().startswith(f"<p>{TAKEN}")
    assert not Route.objects.filter(name="sec-hijack").exists()


def test_inline_validation_says_so_while_typing(login, alice, frontend, form_data, htmx_headers):
    response = login(alice).post(reverse("routes:validate"), hijack_form(form_data), **htmx_headers)

    assert TAKEN in html_lib.unescape(response.content.decode())


def test_editing_a_route_onto_another_routes_service_is_refused_on_the_form(login, alice, frontend, submit, form_data):
    mine = submit(
        "mine",
        host="mine.shop.example.com",
        backend=Backend(service_name="mine", service_port=80, target_port=8080, selector={"app": "mine"}),
    )

    response = login(alice).post(
        reverse("routes:edit", args=[mine.pk]), hijack_form(form_data, name="mine", host="mine.shop.example.com")
    )

    assert errors_of(response, "service_name").strip().startswith(f"<p>{TAKEN}")
    assert Route.objects.get(pk=mine.pk).revision == 1


def test_the_review_queue_shows_the_owner_and_blocks_approval(login, quinn, frontend, submit, rival, mallory):
    hijack = submit(
        "sec-hijack",
        user=mallory,
        team=rival,
        host="hijack.rival.example.com",
        backend=Backend(service_name="evil", service_port=80, target_port=9999, selector={"app": "evil"}),
    )
    stored_before_the_rule(hijack, Backend(service_name="frontend"))

    html = html_lib.unescape(login(quinn).get(reverse("routes:review_queue")).content.decode())

    item = html[html.index(f'id="review-{hijack.pk}"') :]
    item = item[: item.index("</article>")]
    assert TAKEN in item and "Cannot be approved while checks fail." in item
