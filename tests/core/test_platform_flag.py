"""The session's user comes with the platform-group answer (core.access.with_platform_flag via
sso.backends.SessionUserBackend): is_platform asks the database nothing more, and a change of groups counts
from the next request."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.access import PLATFORM_GROUP, is_platform
from sso.backends import PasswordBackend


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "platform"), [("pat", True), ("alice", False)])
def test_the_session_user_is_loaded_with_the_platform_answer(request, django_assert_num_queries, who, platform):
    user = request.getfixturevalue(who)

    with django_assert_num_queries(1):
        loaded = PasswordBackend().get_user(user.pk)
        assert is_platform(loaded) is platform


@pytest.mark.django_db
def test_joining_and_leaving_the_platform_group_counts_from_the_next_request(client, alice, shop):
    client.force_login(alice)
    queue = reverse("routes:review_queue")
    assert client.get(queue).status_code == 403

    alice.groups.add(Group.objects.get_or_create(name=PLATFORM_GROUP)[0])
    assert client.get(queue).status_code == 200

    alice.groups.clear()
    assert client.get(queue).status_code == 403
