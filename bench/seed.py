"""Benchmark data: one team, one platform engineer, one cluster, and routes in bulk.

Routes are written with bulk_create in the state the review workflow leaves them in (revision 1 approved,
host claimed), because submitting 10,000 routes through the services would take most of the time budget.
The approval benchmark uses the real services.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from clusters.models import Cluster
from routes.choices import ApprovalChoices, HealthChoices, SyncChoices
from routes.domain.values import TLS, Backend, RouteSpec
from routes.models import HostClaim, Route, RouteRevision
from teams.models import Team, TeamNamespace

NAMESPACES = [f"ns{i}" for i in range(10)]
DOMAIN = "bench.example.com"


@dataclass
class World:
    team: Team
    requester: User
    reviewer: User


def make_world() -> World:
    team = Team.objects.create(slug="bench", name="Bench", domains=[DOMAIN])
    requester = User.objects.create_user("dev", password="pw-dev")
    team.members.add(requester)
    reviewer = User.objects.create_user("pat", password="pw-pat")
    reviewer.groups.add(Group.objects.get_or_create(name="platform")[0])
    return World(team, requester, reviewer)


def make_cluster(world: World, name: str, kubeconfig: dict | None = None) -> Cluster:
    if kubeconfig is None:
        cluster = Cluster.objects.create(name=name, mode="directory")
    else:
        cluster = Cluster(
            name=name,
            mode="kubernetes",
            reachable=True,
            server_version="v1.37.0",
            ingress_class_present=True,
            cert_manager_present=True,
            issuer_present=True,
        )
        cluster.set_kubeconfig(kubeconfig)
        cluster.save()
    TeamNamespace.objects.bulk_create(
        [TeamNamespace(team=world.team, cluster=cluster, namespace=ns) for ns in NAMESPACES]
    )
    return cluster


def route_spec(i: int) -> tuple[str, str, RouteSpec]:
    """(name, namespace, spec) of the i-th route: two routes per host (`/` and `/api`, sharing one Certificate),
    one in three with a Service Portico manages, the others pointing at an existing Service."""
    host = f"app{i // 2}.{DOMAIN}"
    namespace = NAMESPACES[(i // 2) % len(NAMESPACES)]
    if i % 3 == 0:
        backend = Backend(
            service_name=f"svc{i}",
            service_port=8080,
            target_port=8080,
            selector={"app": f"svc{i}"},
            service_type="ClusterIP",
        )
    else:
        backend = Backend(service_name=f"svc{i}", service_port=8080)
    return f"r{i}", namespace, RouteSpec(host=host, path="/" if i % 2 == 0 else "/api", backend=backend, tls=TLS())


@transaction.atomic
def add_routes(world: World, cluster: Cluster, start: int, stop: int, *, applied: bool = False) -> list[Route]:
    """Routes start..stop-1 on the cluster, revision 1 approved (and recorded as applied when `applied`)."""
    routes, revisions, hosts = [], [], set()
    for i in range(start, stop):
        name, namespace, spec = route_spec(i)
        route = Route(
            name=name,
            team=world.team,
            cluster=cluster,
            namespace=namespace,
            host=spec.host,
            path=spec.path,
            path_type=spec.path_type,
            revision=1,
            approved_revision=1,
            applied_revision=1 if applied else None,
            approval=ApprovalChoices.APPROVED,
            sync=SyncChoices.SYNCED if applied else SyncChoices.OUT_OF_SYNC,
            health=HealthChoices.HEALTHY if applied else HealthChoices.PROGRESSING,
            created_by=world.requester,
        )
        routes.append(route)
        revisions.append(
            RouteRevision(
                route=route,
                number=1,
                spec=spec.to_dict(),
                host=spec.host,
                path=spec.path,
                path_type=spec.path_type,
                approval=ApprovalChoices.APPROVED,
                created_by=world.requester,
            )
        )
        hosts.add(spec.host)
    Route.objects.bulk_create(routes, batch_size=1000)
    RouteRevision.objects.bulk_create(revisions, batch_size=1000)
    HostClaim.objects.bulk_create(
        [HostClaim(host=h, team=world.team, claimed_by=world.reviewer) for h in sorted(hosts)],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # A production table has planner statistics (autovacuum keeps them); a table bulk-loaded a second ago does
    # not, and PostgreSQL would then sort all rows for one page instead of walking the host index.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE routes_route, routes_routerevision, routes_hostclaim")
    return routes
