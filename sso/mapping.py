"""Provider groups -> teams and the platform-engineer role, applied at every sign-in and every re-check.

Only what a mapping names is synced: membership of a team that some group maps to, and the platform role
when some group maps to it. A team no group maps to keeps the members given it by hand; a user who never
signed in through the provider is never touched. Every join and leave is an audit event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from core import access, audit

from . import conf
from .models import GroupMapping

log = logging.getLogger(__name__)


def _team_model():
    return GroupMapping._meta.get_field("team").related_model


@dataclass(frozen=True)
class Grants:
    teams: frozenset[int]  # team ids the groups give
    platform: bool
    mapped_teams: frozenset[int]  # every team some group maps to: the ones whose membership is synced
    platform_mapped: bool

    @property
    def nothing(self) -> bool:
        return not self.teams and not self.platform


def grants_for(groups) -> Grants:
    """What ``groups`` give, from the admin's mappings and the configured ones (unknown team slugs are skipped
    with a warning)."""
    Team = _team_model()
    groups = set(groups or ())
    teams, mapped = set(), set()
    platform = False
    platform_mapped = False
    for row in GroupMapping.objects.all():
        if row.platform:
            platform_mapped = True
            platform = platform or row.group in groups
        else:
            team_id = cast(int, row.team_id)  # a row that is not the platform role names a team
            mapped.add(team_id)
            if row.group in groups:
                teams.add(team_id)
    declared = conf.team_groups()
    slugs = {s for v in declared.values() for s in v}
    ids = dict(Team.objects.filter(slug__in=slugs).values_list("slug", "id"))
    for group, group_slugs in declared.items():
        for slug in group_slugs:
            if slug not in ids:
                log.warning("PORTICO_OIDC_TEAM_GROUPS maps %s to team %s, which does not exist", group, slug)
                continue
            mapped.add(ids[slug])
            if group in groups:
                teams.add(ids[slug])
    if conf.platform_groups():
        platform_mapped = True
        platform = platform or bool(groups & set(conf.platform_groups()))
    return Grants(frozenset(teams), platform, frozenset(mapped), platform_mapped)


def _why(groups) -> dict:
    return {"groups": sorted(groups or ())}


@transaction.atomic
def apply_groups(user, groups, *, reason: str) -> Grants:
    """Make ``user``'s mapped team memberships and platform role what ``groups`` give; one audit event per
    change (verb ``sso_join``/``sso_leave`` on the team, ``sso_grant``/``sso_revoke`` on the platform group).
    ``reason`` ("sign-in", "re-check", ...) goes into each event."""
    Team = _team_model()
    grants = grants_for(groups)
    current = set(user.teams.filter(id__in=grants.mapped_teams).values_list("id", flat=True))
    detail = {"user": user.get_username(), "reason": reason, **_why(groups)}
    for team in Team.objects.filter(id__in=grants.teams - current):
        team.members.add(user)
        audit.record(None, "sso_join", team, after=detail, team=team)
    for team in Team.objects.filter(id__in=current - grants.teams):
        team.members.remove(user)
        audit.record(None, "sso_leave", team, before=detail, team=team)
    if grants.platform_mapped:
        platform_group, _ = Group.objects.get_or_create(name=access.PLATFORM_GROUP)
        has = user.groups.filter(id=platform_group.id).exists()
        # Platform engineers work in the admin too (load_demo makes its platform users staff the same way).
        if grants.platform and not has:
            user.groups.add(platform_group)
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            audit.record(None, "sso_grant", platform_group, after=detail)
        elif has and not grants.platform:
            user.groups.remove(platform_group)
            if user.is_staff and not user.is_superuser:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            audit.record(None, "sso_revoke", platform_group, before=detail)
    if hasattr(user, "_portico_is_platform"):
        del user._portico_is_platform  # access.is_platform caches the answer on the user object
    return grants


def revoke_tokens(user, *, reason: str) -> int:
    """Delete ``user``'s API tokens (one audit event each): they stop working at once."""
    count = 0
    for token in Token.objects.filter(user=user):
        audit.record(None, "sso_token_revoked", user, before={"user": user.get_username(), "reason": reason})
        token.delete()
        count += 1
    return count


def has_access(user) -> bool:
    """Whether ``user`` holds any team or the platform role at all (mapped or given by hand)."""
    return access.is_platform(user) or user.teams.exists()
