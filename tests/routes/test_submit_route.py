import pytest
from django.core.exceptions import PermissionDenied

from routes import services
from routes.models import Route


@pytest.mark.django_db
def test_submit_stores_revision_one_pending(submit, alice):
    route = submit(host="Cart.Shop.Example.com.")

    assert route.revision == 1 and route.approval == "pending"
    assert route.host == "cart.shop.example.com"  # normalised before it is stored
    rev = route.revisions.get()
    assert rev.spec["host"] == "cart.shop.example.com" and rev.created_by == alice


@pytest.mark.django_db
def test_submit_for_a_team_you_are_not_in_is_refused(submit, bob):
    with pytest.raises(PermissionDenied):
        submit(user=bob)
    assert not Route.objects.exists()


@pytest.mark.django_db
def test_submit_outside_team_domains_is_a_field_error(submit):
    with pytest.raises(services.PolicyError) as exc:
        submit(host="cart.blog.example.com")
    assert [v.field for v in exc.value.violations] == ["host"]
    assert not exc.value.is_conflict


@pytest.mark.django_db
def test_duplicate_name_in_namespace_is_a_conflict(submit):
    submit()
    with pytest.raises(services.PolicyError) as exc:
        submit(host="other.shop.example.com")
    assert exc.value.is_conflict
    assert exc.value.violations[0].field == "name"


@pytest.mark.django_db
def test_same_host_and_path_as_a_live_route_is_a_conflict(submit):
    submit()
    with pytest.raises(services.PolicyError) as exc:
        submit("cart2")
    assert exc.value.is_conflict
    assert any(v.field == "path" and "cart" in v.message for v in exc.value.violations)


@pytest.mark.django_db
def test_a_deleted_route_frees_its_name(submit, alice):
    route = submit()
    services.request_deletion(route, user=alice)  # never approved: gone at once

    assert submit().name == "cart"
