"""Which teams a user acts for: every team for a platform engineer, else the teams they are a member of."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from core.access import is_platform

from .models import Team


def teams_of(user: User | AnonymousUser) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    if is_platform(user):
        return Team.objects.all()
    return Team.objects.filter(members=user)
