"""Who may act on a route: acting for a team, editing, and the four-eyes rule of reviews.

One home for these answers, asked by the review workflow (routes.services), the pages, the API and the admin.
"""

from core.access import is_platform
from teams.models import Team

from .models import Route


def acts_for(user, team: Team) -> bool:
    """Whether ``user`` may act for ``team``: a member of it, or a platform engineer (who acts for every team)."""
    return is_platform(user) or team.members.filter(pk=user.pk).exists()


def can_edit(user, route: Route) -> bool:
    if user.pk is not None and getattr(route, "_read_as_member_id", None) == user.pk:
        return True  # read through the user's membership of its team (note_membership)
    return acts_for(user, route.team)


def note_membership(route: Route, user) -> None:
    """Remember on ``route`` that it was read through ``user``'s membership of its team (``visible_to`` of a user
    who is not a platform engineer), so can_edit needs no query to ask again in the same request."""
    route._read_as_member_id = user.pk


def change_authors(route: Route, number: int) -> dict[int, int]:
    """Who wrote the change a review of revision ``number`` decides on: ``{revision number: author id}`` for
    every revision after the last approved one (after creation when none was), up to ``number``. A later
    revision carries the earlier ones' content (an edit starts from the latest revision), so each author
    wrote part of what is approved."""
    first = (route.approved_revision or 0) + 1
    numbers = range(first, number + 1)
    cache = getattr(route, "_revision_cache", None) or {}
    if all(n in cache for n in numbers):
        return {n: cache[n].created_by_id for n in numbers}
    return dict(route.revisions.filter(number__gte=first, number__lte=number).values_list("number", "created_by_id"))


def review_refusal(user, route: Route, number: int) -> str | None:
    """Why ``user`` may not approve or reject revision ``number``, or None when they may.

    The four-eyes rule, in this one place for the API, the pages and the admin (docs/security.md, "Four eyes"):
    only platform engineers review, and never a change they wrote any revision of.
    """
    if not is_platform(user):
        return "Only platform engineers review routes."
    written = sorted(n for n, author in change_authors(route, number).items() if author == user.pk)
    if not written:
        return None
    if written[-1] == number:
        return "You requested this revision, so another platform engineer has to review it."
    since = (
        f"r{route.approved_revision}, the last approved revision"
        if route.approved_revision
        else "the route was created"
    )
    return (
        f"You wrote r{written[-1]}, which is part of the change since {since}; another platform engineer "
        "has to review it."
    )


def can_review(user, route: Route, revision: int | None = None) -> bool:
    return review_refusal(user, route, revision or route.revision) is None
