"""Team writes: the one path every create, change and delete of a team takes, from the admin, the API and the
management commands alike (docs/security.md, "Write paths").

Each function validates, writes (the team, its members and its namespaces together) and records one audit
event. Validation failures raise Django's ``ValidationError`` with messages per field (``ConflictError`` when
the slug is taken); the admin form and the API serializer turn them into field errors. ``validate_team`` is the
check on its own, for the admin form to show errors before it saves.
"""

import logging
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from clusters.models import Cluster
from core.audit import record
from core.errors import ConflictError
from core.names import LABEL_RULE, is_dns1123_label, is_dns1123_subdomain, normalize_host

from .models import Team, TeamNamespace
from .signals import auto_approve_enabled, team_policy_changing

logger = logging.getLogger(__name__)

# (cluster, namespace) pairs a team may route into.
Namespaces = Iterable[tuple[Cluster, str]]
Actor = User | AnonymousUser | None  # who acts; None is the system


def team_snapshot(team: Team) -> dict[str, Any]:
    """A team's settings, members and namespaces for the audit trail."""
    return {
        "slug": team.slug,
        "name": team.name,
        "domains": list(team.domains or []),
        "external_domains": list(team.external_domains or []),
        "members": sorted(team.members.values_list("username", flat=True)),
        "namespaces": sorted(f"{ns.cluster.name}/{ns.namespace}" for ns in team.namespaces.select_related("cluster")),
        "allow_node_port": team.allow_node_port,
        "allow_load_balancer": team.allow_load_balancer,
        "allow_plain_http": team.allow_plain_http,
        "auto_approve": team.auto_approve,
        "max_timeout_seconds": team.max_timeout_seconds,
        "max_body_size_mb": team.max_body_size_mb,
        "allow_source_ranges": team.allow_source_ranges,
    }


def validate_team(team: Team, *, namespaces: Namespaces | None = None) -> list[tuple[Cluster, str]] | None:
    """Judge ``team`` (new, or a stored one carrying its changes) and the namespaces it is to have.

    Normalises ``team.domains`` and ``team.external_domains`` in place (lower case, no trailing dot, no
    duplicates) and returns the namespaces
    without duplicates (None when not given). Raises ValidationError.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    stored_slug = Team.objects.filter(pk=team.pk).values_list("slug", flat=True).first() if team.pk else None
    try:
        team.full_clean(validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    if stored_slug is not None and team.slug != stored_slug:
        add("slug", "A team's slug cannot change; it labels the team's objects.")

    team.domains = _suffixes(team.domains, "domains", add, what="Domain")
    team.external_domains = _suffixes(team.external_domains, "external_domains", add, what="External domain")

    unique = None
    if namespaces is not None:
        unique = list({(cluster.pk, namespace): (cluster, namespace) for cluster, namespace in namespaces}.values())
        for cluster, namespace in unique:
            if not is_dns1123_label(namespace):
                add("namespaces", f"Namespace {namespace!r} on {cluster.name} is not valid: {LABEL_RULE}.")
    if errors:
        raise ValidationError(errors)
    if team.pk is not None:
        _refuse_leaving_live_routes_outside(team, unique)
    return unique


def _suffixes(value: object, field: str, add: Callable[[str, str], None], *, what: str) -> object:
    """A list of DNS suffixes as stored: normalised, without duplicates; problems go to ``add(field, message)``
    (a value that is not a list of strings comes back as it is, its error added)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        add(field, f'{what}s must be a list of DNS suffixes such as ["shop.example.com"].')
        return value
    normalized: list[str] = []
    for raw in value:
        suffix = normalize_host(raw)
        if "." not in suffix or not is_dns1123_subdomain(suffix):
            add(field, f'{what} "{raw[:80]}" is not a DNS name such as "shop.example.com".')
        elif suffix not in normalized:
            normalized.append(suffix)
    return normalized


def _refuse_leaving_live_routes_outside(team: Team, namespaces: list[tuple[Cluster, str]] | None) -> None:
    """A change of domains, namespaces or flags may not leave a live route outside the team's policy: 409 naming
    each route and the rule (docs/security.md, "Team policy changes"). The routes app judges its routes when
    asked through ``team_policy_changing`` (routes/receivers.py)."""
    if namespaces is None:
        namespaces = [(ns.cluster, ns.namespace) for ns in team.namespaces.select_related("cluster")]
    errors: dict[str, list[str]] = {}
    for _receiver, found in team_policy_changing.send(sender=Team, team=team, namespaces=namespaces):
        for field, messages in (cast("dict[str, list[str]] | None", found) or {}).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ConflictError(errors)


def create_team(team: Team, *, user: Actor, members: Iterable[User] = (), namespaces: Namespaces | None = ()) -> Team:
    """Validate and save a new team (``team`` unsaved) with its members and namespaces, and audit it."""
    namespaces = validate_team(team, namespaces=namespaces or ()) or []
    taken = ConflictError({"slug": [f'A team with slug "{team.slug}" already exists.']})
    try:
        with transaction.atomic():
            if Team.objects.filter(slug=team.slug).exists():
                raise taken
            team.save()
            team.members.set(members)
            _set_namespaces(team, namespaces)
            record(user, "create", team, after=team_snapshot(team), team=team)
            if team.auto_approve:
                _announce_auto_approve(team, user)
    except IntegrityError:
        raise taken from None
    return team


def update_team(
    team: Team, *, user: Actor, members: Iterable[User] | None = None, namespaces: Namespaces | None = None
) -> Team:
    """Validate and save a stored team carrying its changes; ``members`` and ``namespaces``, when given,
    replace the current ones. Audited when anything changed."""
    with transaction.atomic():
        stored = Team.objects.select_for_update().get(pk=team.pk)
        before = team_snapshot(stored)
        # Judged under the team's row lock: approving one of its routes locks that row too
        # (routes.services._decide), so no route goes live under the old policy while this one is checked.
        namespaces = validate_team(team, namespaces=namespaces)
        team.save()
        if members is not None:
            team.members.set(members)
        if namespaces is not None:
            team.namespaces.all().delete()
            _set_namespaces(team, namespaces)
        after = team_snapshot(team)
        if after != before:
            record(user, "edit", team, before=before, after=after, team=team)
        if team.auto_approve and not stored.auto_approve:
            _announce_auto_approve(team, user)
    return team


def _announce_auto_approve(team: Team, user: Actor) -> None:
    """Auto-approval lets the team's revisions go live with nobody reviewing them: turning it on is its own
    audit event, a warning in the log and a notification to every platform engineer (docs/security.md,
    "Four eyes")."""
    record(user, "enable_auto_approve", team, before={"auto_approve": False}, after={"auto_approve": True}, team=team)
    logger.warning(
        "auto-approval turned on for team %s by %s", team.slug, user.get_username() if user is not None else "system"
    )
    auto_approve_enabled.send(sender=Team, team=team, actor=user)


def delete_team(team: Team, *, user: Actor) -> None:
    """Remove a team that has no routes and no host claims."""
    try:
        with transaction.atomic():
            record(user, "delete", team, before=team_snapshot(team))
            team.delete()
    except ProtectedError:
        raise ConflictError(
            {
                NON_FIELD_ERRORS: [
                    (
                        f'Team "{team.slug}" still has routes or host claims (deleted routes are kept in history and '
                        "count too); it cannot be removed."
                    )
                ]
            }
        ) from None


def _set_namespaces(team: Team, namespaces: list[tuple[Cluster, str]]) -> None:
    TeamNamespace.objects.bulk_create(
        TeamNamespace(team=team, cluster=cluster, namespace=namespace) for cluster, namespace in namespaces
    )
