"""The review workflow: every state change of a route's approval goes through one function here.

Who may do what is in routes.permissions (the four-eyes rule among it), host claims in routes.claims.

Used alike by the API, the pages, the admin and management commands. Each function checks
permissions, applies policy, writes the change and an AuditEvent in one transaction, and wakes
the reconciler after commit.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from clusters.models import Cluster
from core.access import is_platform
from core.audit import record
from teams.models import Team

from . import checks, signals
from .adapters import revision_spec, team_policy
from .checks import PolicyError
from .choices import ApprovalChoices, HealthChoices, SyncChoices
from .claims import claim_host
from .domain.policy.conflicts import check_conflicts
from .domain.policy.route import check_route
from .domain.values import RouteSpec, Violation
from .models import Review, Route, RouteRevision
from .permissions import acts_for, can_edit, change_authors, review_refusal
from .tasks import reconcile_route

logger = logging.getLogger(__name__)


# Creator of routes the system adopts (import_ingresses without --as): inactive, cannot sign in.
SYSTEM_USERNAME = "portico-system"


def _raise_if(violations: list[Violation]) -> None:
    if violations:
        raise PolicyError(violations)


def _snapshot(route: Route) -> dict:
    return {
        "name": route.name,
        "team": route.team.slug,
        "cluster": route.cluster.name,
        "namespace": route.namespace,
        "revision": route.revision,
        "approved_revision": route.approved_revision,
        "applied_revision": route.applied_revision,
        "approval": route.approval,
        "spec": route.revision_obj(route.revision).spec,
    }


def submit_route(*, user, team: Team, cluster: Cluster, namespace: str, name: str, spec: RouteSpec) -> Route:
    """Create a route at revision 1, pending review (or approved at once under the team's auto-approve policy)."""
    if not acts_for(user, team):
        raise PermissionDenied("You can only request routes for your own teams.")
    spec = checks.normalized(spec)
    _raise_if(checks.check_request(user=user, team=team, cluster=cluster, namespace=namespace, name=name, spec=spec))
    try:
        with transaction.atomic():
            route = _new_route(team, cluster, namespace, name, spec, creator=user)
            _add_revision(route, 1, spec, user)
            record(user, "create", route, after=_snapshot(route), team=team)
            signals.revision_submitted.send(sender=Route, route=route, actor=user)
    except IntegrityError as exc:
        # Lost a race with an identical request: the constraint holds the line, report it like the policy would.
        raise PolicyError(
            [Violation("name", f'A route named "{name}" already exists in {cluster.name}/{namespace}.', "conflict")]
        ) from exc
    if team.auto_approve:
        _auto_approve(route)
    return route


def edit_route(route: Route, *, user, spec: RouteSpec) -> Route:
    """Store a new revision, pending review. The approved revision stays live until the new one is approved."""
    if not can_edit(user, route):
        raise PermissionDenied("You can only edit your own teams' routes.")
    if route.deletion_requested_at:
        raise PolicyError([Violation("name", "This route is being deleted and can no longer be edited.", "conflict")])
    spec = checks.normalized(spec)
    current = route.revision_obj(route.revision)
    if spec.to_dict() == current.spec:
        return route
    _raise_if(
        checks.check_request(
            user=user,
            team=route.team,
            cluster=route.cluster,
            namespace=route.namespace,
            name=route.name,
            spec=spec,
            route=route,
        )
    )
    with transaction.atomic():
        locked = Route.objects.select_for_update().get(pk=route.pk)
        before = _snapshot(route)
        number = locked.revision + 1
        _add_revision(route, number, spec, user)
        _supersede_before(route, number)
        Route.objects.filter(pk=route.pk).update(
            revision=number,
            approval=ApprovalChoices.PENDING,
            host=spec.host,
            path=spec.path,
            path_type=spec.path_type,
            updated_at=timezone.now(),
        )
        route.refresh_from_db()
        record(user, "edit", route, before=before, after=_snapshot(route), team=route.team)
        signals.revision_submitted.send(sender=Route, route=route, actor=user)
    if route.team.auto_approve:
        _auto_approve(route)
    return route


def _new_route(team: Team, cluster: Cluster, namespace: str, name: str, spec: RouteSpec, *, creator, **state) -> Route:
    """The route row of a request or an adoption; its first revision is added by the caller."""
    return Route.objects.create(
        name=name,
        team=team,
        cluster=cluster,
        namespace=namespace,
        host=spec.host,
        path=spec.path,
        path_type=spec.path_type,
        created_by=creator,
        **state,
    )


def _add_revision(route: Route, number: int, spec: RouteSpec, user) -> RouteRevision:
    rev = RouteRevision.objects.create(
        route=route,
        number=number,
        spec=spec.to_dict(),
        host=spec.host,
        path=spec.path,
        path_type=spec.path_type,
        created_by=user,
    )
    route._revision_cache = {**getattr(route, "_revision_cache", {}), number: rev}
    return rev


def _supersede_before(route: Route, number: int) -> None:
    """Revisions before ``number`` still pending can never be decided now (only the latest is reviewed):
    their history says so."""
    RouteRevision.objects.filter(route=route, number__lt=number, approval=ApprovalChoices.PENDING).update(
        approval=ApprovalChoices.SUPERSEDED
    )
    route._revision_cache = {n: rev for n, rev in getattr(route, "_revision_cache", {}).items() if n >= number}


def approve_route(route: Route, *, user, comment: str = "", revision: int | None = None) -> Route:
    """Approve the pending revision: platform engineers only, never the requester of that revision."""
    if not is_platform(user):
        raise PermissionDenied("Only platform engineers can approve routes.")
    number = revision or route.revision
    _check_reviewer(route, number, user)
    return _decide(route, number, ApprovalChoices.APPROVED, reviewer=user, comment=comment)


def reject_route(route: Route, *, user, comment: str, revision: int | None = None) -> Route:
    """Reject the pending revision with a reason. The live revision, if any, stays applied."""
    if not is_platform(user):
        raise PermissionDenied("Only platform engineers can reject routes.")
    number = revision or route.revision
    _check_reviewer(route, number, user)
    if not comment.strip():
        raise PolicyError([Violation("comment", "Say why the revision is rejected, so the requester can fix it.")])
    return _decide(route, number, ApprovalChoices.REJECTED, reviewer=user, comment=comment)


def _check_reviewer(route: Route, number: int, user) -> None:
    """A revision that does not exist is a conflict, like any non-pending revision; then the four-eyes rule.
    Checking before the row lock is safe: revisions never change, and the last approved revision can only
    move to ``number`` itself, after which ``_decide`` refuses anyway."""
    try:
        route.revision_obj(number)
    except RouteRevision.DoesNotExist:
        raise PolicyError(
            [Violation("revision", f"Revision {number} is not the pending revision of this route.", "conflict")]
        ) from None
    refusal = review_refusal(user, route, number)
    if refusal:
        raise PermissionDenied(refusal)


def _auto_approve(route: Route) -> None:
    """Approve under the team's policy, unless a platform engineer wrote any part of the change: nobody else
    would have looked at it (docs/security.md, "Four eyes")."""
    authors = get_user_model().objects.filter(pk__in=set(change_authors(route, route.revision).values()))
    if any(is_platform(author) for author in authors):
        logger.info(
            "auto-approve skipped for route %s: a platform engineer wrote part of revision %s", route.pk, route.revision
        )
        return
    try:
        _decide(
            route,
            route.revision,
            ApprovalChoices.APPROVED,
            reviewer=None,
            comment="Approved automatically by team policy.",
        )
    except PolicyError as exc:
        logger.info("auto-approve skipped for route %s: %s", route.pk, exc)


def _decide(route: Route, number: int, decision: str, *, reviewer, comment: str) -> Route:
    with transaction.atomic():
        locked = Route.objects.select_for_update().select_related("team", "cluster").get(pk=route.pk)
        rev = locked.revision_obj(number)
        if locked.deletion_requested_at:
            raise PolicyError([Violation("revision", "This route is being deleted.", "conflict")])
        if number != locked.revision or rev.approval != ApprovalChoices.PENDING:
            raise PolicyError(
                [Violation("revision", f"Revision {number} is not the pending revision of this route.", "conflict")]
            )
        before = _snapshot(locked)
        if decision == ApprovalChoices.APPROVED:
            spec = revision_spec(rev)
            _raise_if(
                checks.check_request(
                    user=reviewer or locked.created_by,
                    team=locked.team,
                    cluster=locked.cluster,
                    namespace=locked.namespace,
                    name=locked.name,
                    spec=spec,
                    route=locked,
                )
            )
            claim_host(locked, spec.host, reviewer)
            _supersede_before(locked, number)
            locked.approved_revision = number
            if locked.applied_revision != number:
                locked.sync = SyncChoices.OUT_OF_SYNC
                locked.health = HealthChoices.PROGRESSING
        rev.approval = decision
        rev.save(update_fields=["approval"])
        locked.approval = decision
        locked.save()
        Review.objects.create(
            route=locked,
            revision=number,
            reviewer=reviewer,
            decision=decision,
            comment=comment,
            automatic=reviewer is None,
        )
        record(
            reviewer,
            "approve" if decision == ApprovalChoices.APPROVED else "reject",
            locked,
            before=before,
            after={**_snapshot(locked), "comment": comment},
            team=locked.team,
        )
        signals.revision_reviewed.send(sender=Route, route=locked, decision=decision, actor=reviewer, comment=comment)
        if decision == ApprovalChoices.APPROVED:
            enqueue_reconcile(locked.pk)
    route.refresh_from_db()
    route._revision_cache = {}
    return route


def adopt_route(
    *, user, team: Team, cluster: Cluster, namespace: str, name: str, spec: RouteSpec, source: str
) -> Route:
    """Record an Ingress that already serves traffic as a route: revision 1, approved at once, its host claimed
    exactly as a first approval claims it, and an AuditEvent "adopt" naming ``source`` ("namespace/name").

    Platform engineers only; ``user`` None is the system (``import_ingresses`` without ``--as``), for which the
    route is created by an inactive "portico-system" user, because a route always has a creator. Approving one's
    own revision is allowed here: nothing new is requested, the revision describes what already runs.
    ``applied_revision`` stays empty: routes.adopt sets it once the cluster has accepted Portico's labels. The
    caller compared the spec with the live Ingresses; this re-checks policy, routes and claims under the
    transaction, so two adoptions (or an adoption and a request) cannot both take the same host or path.
    """
    if user is not None and not is_platform(user):
        raise PermissionDenied("Only platform engineers can adopt Ingresses.")
    spec = checks.normalized(spec)
    violations = check_route(
        name=name,
        namespace=namespace,
        cluster=cluster.name,
        spec=spec,
        team=team_policy(team),
        is_platform=True,
        output=cluster.output,
    )
    _raise_if(violations)
    creator = user
    if creator is None:
        creator, created = get_user_model().objects.get_or_create(
            username=SYSTEM_USERNAME, defaults={"is_active": False}
        )
        if created:
            creator.set_unusable_password()
            creator.save(update_fields=["password"])
    try:
        with transaction.atomic():
            others, claims, _foreign, owned = checks.conflict_inputs(cluster, spec.host, namespace, name, None, spec)
            # The live Ingresses were compared by the caller, from a fresher list than the last sync's record.
            _raise_if(
                check_conflicts(
                    route_id=None,
                    name=name,
                    team=team.slug,
                    namespace=namespace,
                    spec=spec,
                    others=others,
                    claims=claims,
                    foreign=(),
                    owned=owned,
                    output=cluster.output,
                )
            )
            route = _new_route(
                team,
                cluster,
                namespace,
                name,
                spec,
                creator=creator,
                revision=1,
                approved_revision=1,
                approval=ApprovalChoices.APPROVED,
                sync=SyncChoices.OUT_OF_SYNC,
                health=HealthChoices.PROGRESSING,
            )
            rev = _add_revision(route, 1, spec, creator)
            rev.approval = ApprovalChoices.APPROVED
            rev.save(update_fields=["approval"])
            claim_host(route, spec.host, user)
            comment = f"Adopted from Ingress {source}, as it runs on {cluster.name}."
            Review.objects.create(
                route=route,
                revision=1,
                reviewer=user,
                decision=ApprovalChoices.APPROVED,
                comment=comment,
                automatic=user is None,
            )
            record(user, "adopt", route, after={**_snapshot(route), "ingress": source}, team=team)
    except IntegrityError as exc:
        raise PolicyError(
            [Violation("name", f'A route named "{name}" already exists in {cluster.name}/{namespace}.', "conflict")]
        ) from exc
    return route


def request_deletion(route: Route, *, user) -> Route:
    """Ask for the route's objects to be removed. The host claim stays with the team."""
    if not can_edit(user, route):
        raise PermissionDenied("You can only delete your own teams' routes.")
    with transaction.atomic():
        locked = Route.objects.select_for_update().get(pk=route.pk)
        if locked.deletion_requested_at:
            return locked
        before = _snapshot(route)
        now = timezone.now()
        locked.deletion_requested_at = now
        if locked.approved_revision is None and locked.applied_revision is None:
            # Nothing was ever put on the cluster: the route is gone at once.
            locked.deleted_at = now
        else:
            locked.sync = SyncChoices.OUT_OF_SYNC
            enqueue_reconcile(locked.pk)
        locked.save()
        record(user, "delete", locked, before=before, team=route.team)
    route.refresh_from_db()
    return route


def enqueue_reconcile(route_id) -> None:
    """Wake the reconciler once the transaction commits. A lost message loses nothing: the beat sweep
    finds every route whose approved and applied revisions differ."""

    def send():
        try:
            reconcile_route.delay(str(route_id))
        except Exception as exc:  # noqa: BLE001 - broker down (any transport's error): the sweep picks it up
            logger.warning(
                "could not enqueue reconcile for route %s (%s); the next sync will pick it up", route_id, exc
            )

    transaction.on_commit(send)
