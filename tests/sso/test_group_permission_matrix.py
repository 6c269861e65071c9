"""The page permission matrix (tests/web/test_page_permission_matrix.py) again, for users whose roles came from
the provider's groups: each user holds an identity, signs in with the groups Dex gives them (its real ID
token, verified), and gets team membership and the platform role from the group mappings only."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from sso import mapping, provider
from sso.backends import groups_from
from sso.models import Identity
from tests.web.conftest import form_data  # noqa: F401  (a fixture the matrix tests take)
from tests.web.test_page_permission_matrix import (  # noqa: F401  (collected here with this module's fixtures)
    test_page_answers_each_role,
    test_state_changing_post_answers_each_role_and_only_takes_effect_when_allowed,
)

from .conftest import PERSON

_GROUPS: dict = {}


def from_groups(idp, uid):
    """The user ``uid`` as single sign-on makes them: no password, an identity, roles from Dex's groups."""
    if uid not in _GROUPS:  # one real ID token per person and test process
        token = idp.password_grant(PERSON[uid])["id_token"]
        _GROUPS[uid] = groups_from(provider.verify_id_token(token, nonce=None))
    user = User.objects.create_user(uid)
    # Checked "tomorrow": no re-check runs during the test (those are tested in test_sign_in.py).
    Identity.objects.create(
        user=user,
        issuer=idp.issuer,
        subject=uid,
        groups=_GROUPS[uid],
        checked_at=timezone.now() + timezone.timedelta(days=1),
    )
    mapping.apply_groups(user, _GROUPS[uid], reason="sign-in")
    return user


@pytest.fixture
def alice(sso, mapped):
    return from_groups(sso, "alice")


@pytest.fixture
def bob(sso, mapped):
    return from_groups(sso, "bob")


@pytest.fixture
def pat(sso, mapped):
    return from_groups(sso, "pat")


@pytest.fixture
def quinn(sso, mapped):
    return from_groups(sso, "quinn")


@pytest.fixture
def world(submit, shop, alice, bob, pat, quinn):
    """As in the page matrix, but nothing given by hand: quinn is in team shop and a platform engineer, and
    pat and quinn are staff, because of their groups."""
    assert set(shop.members.all()) == {alice, quinn} and pat.is_staff and quinn.is_staff
    route = submit("cart", user=quinn)
    return {"route": route, "users": {"owner": alice, "other_team": bob, "platform": pat, "requester": quinn}}
