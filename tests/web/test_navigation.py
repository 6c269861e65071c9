"""The layout: navigation by role, vendored htmx and CSRF for htmx requests."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse


def nav(html: str) -> str:
    return re.search(r'<nav class="nav".*?</nav>', html, re.DOTALL).group(0)


@pytest.mark.django_db
def test_developer_sees_the_main_pages_but_not_the_review_queue_or_admin(login, alice):
    html = login(alice).get(reverse("routes:dashboard")).content.decode()

    links = nav(html)
    for name in ("Dashboard", "Routes", "New route", "Clusters", "API docs"):
        assert f">{name}<" in links
    assert "Review queue" not in links and "Admin" not in links


@pytest.mark.django_db
def test_platform_engineer_sees_the_review_queue_with_its_count_loaded_by_htmx(login, pat):
    html = login(pat).get(reverse("routes:dashboard")).content.decode()

    assert "Review queue" in nav(html)
    assert f'hx-get="{reverse("routes:review_count")}"' in nav(html)


@pytest.mark.django_db
def test_staff_see_the_admin_link(login, alice):
    User.objects.filter(pk=alice.pk).update(is_staff=True)
    alice.refresh_from_db()

    assert ">Admin<" in nav(login(alice).get(reverse("routes:dashboard")).content.decode())


@pytest.mark.django_db
def test_page_uses_vendored_htmx_and_sends_csrf_token_with_htmx_requests(login, alice):
    response = login(alice).get(reverse("routes:dashboard"))

    html = response.content.decode()
    assert "/static/vendor/htmx-2.0.11.min.js" in html and "/static/css/portico.css" in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{64}\"\}'>", html)
    assert "<script>" not in html and "<style" not in html, "no inline script or style (CSP)"


@pytest.mark.django_db
def test_review_count_counts_pending_revisions_for_platform_only(login, submit, pat, alice):
    submit("a", host="a.shop.example.com")
    submit("b", host="b.shop.example.com")

    response = login(pat).get(reverse("routes:review_count"))

    assert response.status_code == 200
    assert ">2<" in response.content.decode()
    assert login(alice).get(reverse("routes:review_count")).status_code == 403
