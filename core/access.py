"""Who may do what. Team isolation itself lives in the querysets' `visible_to(user)`; the teams a user acts for
are `teams.access.teams_of`."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

PLATFORM_GROUP = "platform"


def is_platform(user: User | AnonymousUser | None) -> bool:
    """Platform engineers: members of the `platform` group, or superusers."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Read with the user when a backend loaded them through with_platform_flag (every signed-in request).
    cached: bool | None = getattr(user, "_portico_is_platform", None)
    if cached is None:
        cached = user.groups.filter(name=PLATFORM_GROUP).exists()
        # Cached on the instance, so a request asks the database once.
        setattr(user, "_portico_is_platform", cached)  # noqa: B010 - Portico's own attribute; User declares none
    return cached


def with_platform_flag(users: QuerySet[User]) -> QuerySet[User]:
    """The users with is_platform's group answer read in the same query, where is_platform looks first: the
    session's user is loaded this way (sso.backends), so a request asks no second question about them."""
    # Written out rather than Exists(Group.objects...): every signed-in request compiles it, the floor views too.
    in_group = RawSQL(
        'EXISTS (SELECT 1 FROM "auth_user_groups" ug JOIN "auth_group" g ON g."id" = ug."group_id" '
        'WHERE ug."user_id" = "auth_user"."id" AND g."name" = %s)',
        (PLATFORM_GROUP,),
        output_field=BooleanField(),
    )
    return users.annotate(_portico_is_platform=in_group)
