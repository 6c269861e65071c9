"""Who may do what. Team isolation itself lives in the querysets' `visible_to(user)`; the teams a user acts for
are `teams.access.teams_of`."""

from django.contrib.auth.models import AnonymousUser, User

PLATFORM_GROUP = "platform"


def is_platform(user: User | AnonymousUser | None) -> bool:
    """Platform engineers: members of the `platform` group, or superusers."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached: bool | None = getattr(user, "_portico_is_platform", None)
    if cached is None:
        cached = user.groups.filter(name=PLATFORM_GROUP).exists()
        # Cached on the instance, so a request asks the database once.
        setattr(user, "_portico_is_platform", cached)  # noqa: B010 - Portico's own attribute; User declares none
    return cached
