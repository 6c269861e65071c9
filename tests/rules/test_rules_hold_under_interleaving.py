"""The rules Portico exists to enforce, checked after every step of many users' interleaved actions.

A hypothesis state machine plays two teams that share a namespace and a parent domain, two platform engineers
(one of them also a member of team shop, so they can write content and then try to approve it), on a directory
(GitOps) cluster and a Kubernetes cluster served by the emulated API server. Users create, edit, approve, reject
and delete routes, release host claims, a platform engineer turns a team's auto-approval on and off, and the
worker syncs clusters, in any order hypothesis finds. After every step:

- one owner per object: every object Portico wrote names, in its route label, a live route of that cluster whose
  applied revision renders exactly that object, and every TLS Secret an Ingress uses comes from a Certificate
  for that Ingress's own host;
- four eyes: no approved revision was approved by anyone who authored a revision since the last approved one,
  and no automatic approval covers a platform engineer's revision;
- claims: every host served by an approved or applied revision is claimed by the serving team;
- confinement: nothing is written outside the directory cluster's folder.

The rules themselves are described in docs/security.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from clusters import probe
from clusters import services as cluster_services
from clusters.kube import TransientKubeError
from clusters.models import Cluster
from core.errors import ConflictError
from routes import claims, reconcile, services
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.choices import ApprovalChoices
from routes.domain import render
from routes.domain.values import TLS, Backend, RouteSpec
from routes.models import HostClaim, Review, Route, RouteRevision
from teams import services as team_services
from teams.models import Team, TeamNamespace
from tests.factories import make_user
from tests.reconcile.conftest import seed_cluster_addons

# Enough to matter and to stay within a couple of minutes on two cores: 60 runs of up to 40 steps each, about
# 2,400 interleaved actions, each followed by every invariant. Measured against the code before these rules were
# enforced (with the auto-approve action left out, which finds its bug at once): each of three runs found a
# violation (a managed Service taken over, a platform engineer approving a revision carrying their own change).
EXAMPLES = int(os.environ.get("PORTICO_RULE_EXAMPLES", "60"))
STEPS = 40

NAMESPACE = "shared"
NAMES = ("web", "api", "pay")
# Hosts whose naive slugs collide (x-y / x.y, wildcard / literal "wildcard"), and a host both teams' domains cover.
HOSTS = ("x-y.example.com", "x.y.example.com", "www.example.com", "wildcard.example.com")
PATHS = ("/", "/api")
SERVICES = ("frontend", "backend")
TLS_MODES = ("cert-manager", "none")

pytestmark = [pytest.mark.django_db, pytest.mark.serial]


def _spec(host: str, path: str, service: str, managed: bool, target_port: int, tls: str) -> RouteSpec:
    backend = (
        Backend(service_name=service, service_port=80, target_port=target_port, selector={"app": service})
        if managed
        else Backend(service_name=service, service_port=80)
    )
    return RouteSpec(host=host, path=path, backend=backend, tls=TLS(mode=tls))


class PorticoRules(RuleBasedStateMachine):
    """One interleaving of users' actions; the database and the targets start empty for each."""

    def __init__(self, kube, root: Path, outside: Path):
        super().__init__()
        self.kube = kube
        self.root = root
        self.outside = outside
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        kube.reset()
        seed_cluster_addons(kube)
        self.directory = Cluster.objects.create(name="local", mode="directory")
        self.emulated = Cluster(name="kind", mode="kubernetes")
        self.emulated.set_kubeconfig(kube.kubeconfig())
        self.emulated.save()
        probe.probe_cluster(self.emulated.pk)
        self.clusters = [self.directory, self.emulated]
        self.shop = Team.objects.create(slug="shop", name="Shop", domains=["example.com"], allow_plain_http=True)
        self.blog = Team.objects.create(slug="blog", name="Blog", domains=["example.com"], allow_plain_http=True)
        for team in (self.shop, self.blog):
            for cluster in self.clusters:
                TeamNamespace.objects.create(team=team, cluster=cluster, namespace=NAMESPACE)
        self.pat = make_user("pat", platform=True, teams=[self.shop])
        self.quinn = make_user("quinn", platform=True)
        self.alice = make_user("alice", teams=[self.shop])
        self.bob = make_user("bob", teams=[self.blog])
        self.users = [self.pat, self.quinn, self.alice, self.bob]
        self.platform = {self.pat.pk, self.quinn.pk}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self.kube.reset()
        shutil.rmtree(self.root, ignore_errors=True)

    # Actions. A refusal (policy, permission) is a legitimate outcome; anything else is a bug.

    def _route(self, index: int, **filters) -> Route | None:
        routes = list(Route.objects.filter(deleted_at__isnull=True, **filters).order_by("created_at", "pk"))
        return routes[index % len(routes)] if routes else None

    # Requesters are members of the team they ask for (or platform engineers, who may ask for any team): a
    # non-member's request is refused up front and teaches the machine nothing. Managed Services come up often,
    # since they are the objects two routes can contend for.
    @rule(
        who=st.sampled_from([(2, "shop"), (0, "shop"), (3, "blog"), (1, "blog")]),
        cluster=st.integers(0, 3),
        name=st.sampled_from(NAMES),
        host=st.sampled_from(HOSTS),
        path=st.sampled_from(PATHS),
        service=st.sampled_from(SERVICES),
        managed=st.sampled_from([True, True, False]),
        port=st.sampled_from([8080, 9999]),
        tls=st.sampled_from(TLS_MODES),
    )
    def create(self, who, cluster, name, host, path, service, managed, port, tls):
        user, team = who
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            services.submit_route(
                user=self.users[user],
                team=Team.objects.get(slug=team),
                cluster=self.clusters[cluster % len(self.clusters)],
                namespace=NAMESPACE,
                name=name,
                spec=_spec(host, path, service, managed, port, tls),
            )

    @rule(
        index=st.integers(0, 20),
        user=st.integers(0, 3),
        host=st.sampled_from(HOSTS),
        path=st.sampled_from(PATHS),
        service=st.sampled_from(SERVICES),
        managed=st.sampled_from([True, True, False]),
        port=st.sampled_from([8080, 9999]),
        tls=st.sampled_from(TLS_MODES),
    )
    def edit(self, index, user, host, path, service, managed, port, tls):
        route = self._route(index)
        if route is None:
            return
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            services.edit_route(route, user=self.users[user], spec=_spec(host, path, service, managed, port, tls))

    # Reviews go to pending revisions and mostly to platform engineers, so that approvals happen often enough
    # for the interesting states (two live routes contending for one object) to be reached.
    @rule(index=st.integers(0, 20), user=st.sampled_from([0, 1, 0, 1, 2]))
    def approve(self, index, user):
        route = self._route(index, approval=ApprovalChoices.PENDING)
        if route is None:
            return
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            services.approve_route(route, user=self.users[user], comment="ok")

    @rule(index=st.integers(0, 20), user=st.sampled_from([0, 1, 2]))
    def reject(self, index, user):
        route = self._route(index, approval=ApprovalChoices.PENDING)
        if route is None:
            return
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            services.reject_route(route, user=self.users[user], comment="no")

    @rule(index=st.integers(0, 20), user=st.integers(0, 3))
    def delete(self, index, user):
        route = self._route(index)
        if route is None:
            return
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            services.request_deletion(route, user=self.users[user])

    @rule(host=st.sampled_from(HOSTS), user=st.integers(0, 3))
    def release_claim(self, host, user):
        claim = HostClaim.objects.filter(host=host).select_related("team").first()
        if claim is None:
            return
        with contextlib.suppress(services.PolicyError, PermissionDenied):
            claims.release_claim(claim, user=self.users[user])

    @rule(team=st.sampled_from(["shop", "blog"]), on=st.booleans(), user=st.integers(0, 1))
    def platform_sets_auto_approve(self, team, on, user):
        # Even on an auto-approving team, a platform engineer's own revisions still need a second person.
        stored = Team.objects.get(slug=team)
        stored.auto_approve = on
        with contextlib.suppress(ValidationError, ConflictError):
            team_services.update_team(stored, user=self.users[user])

    # Folders a platform engineer might give a new directory cluster: its own, another cluster's, one inside
    # another's, and ways out of PORTICO_DIRECTORY_ROOT. Only the first may be accepted.
    @rule(
        name=st.sampled_from(["gitops", "edge"]),
        folder=st.sampled_from(
            ["", "local", "local/shared", "../outside", "{outside}", "gitops/../../outside", "./local"]
        ),
        user=st.integers(0, 1),
    )
    def platform_adds_directory_cluster(self, name, folder, user):
        cluster = Cluster(name=name, mode="directory", directory=folder.format(outside=self.outside))
        try:
            cluster = cluster_services.create_cluster(cluster, user=self.users[user])
        except (ValidationError, ConflictError):
            return
        for team in (self.shop, self.blog):
            TeamNamespace.objects.create(team=team, cluster=cluster, namespace=NAMESPACE)
        self.clusters.append(cluster)

    @rule(cluster=st.integers(0, 3))
    def sync(self, cluster):
        reconcile.sync_cluster(self.clusters[cluster % len(self.clusters)].pk)

    @rule(index=st.integers(0, 20))
    def reconcile_one(self, index):
        route = self._route(index)
        if route is None:
            return
        with contextlib.suppress(TransientKubeError):
            reconcile.reconcile_route(route.pk)

    # What Portico put on each cluster.

    def _objects(self, cluster: Cluster) -> list[dict]:
        if cluster.is_directory:
            folder = cluster.directory_path()
            return [yaml.safe_load(p.read_text()) for p in sorted(folder.rglob("*.yaml"))] if folder.exists() else []
        objects = []
        for api_version, kind in (
            ("v1", "Service"),
            ("networking.k8s.io/v1", "Ingress"),
            ("cert-manager.io/v1", "Certificate"),
        ):
            objects += [
                o
                for o in self.kube.list_objects(api_version, kind)
                if (o["metadata"].get("labels") or {}).get(render.MANAGED_BY_LABEL) == render.MANAGED_BY
            ]
        return objects

    @invariant()
    def every_object_has_one_owning_route(self):
        for cluster in self.clusters:
            settings_ = cluster_settings(cluster)
            objects = self._objects(cluster)
            for obj in objects:
                meta = obj["metadata"]
                owner = (meta.get("labels") or {}).get(render.ROUTE_LABEL)
                if obj["kind"] == "Certificate":
                    continue  # shared per host; judged below through the Ingresses that use it
                route = Route.objects.filter(pk=owner).first()
                assert route is not None, f"{obj['kind']} {meta['name']} names no existing route ({owner})"
                assert route.cluster_id == cluster.pk, (
                    f"{obj['kind']} {meta['name']} on {cluster} belongs to {route.cluster}"
                )
                # The owner's applied revision renders this very object (same name and content Portico owns).
                numbers = {n for n in (route.applied_revision, route.approved_revision) if n}
                rendered = [
                    o
                    for n in numbers
                    for o in render.render_route(
                        route_target(route, n), revision_spec(route.revision_obj(n)), settings_
                    )
                ]
                matching = [o for o in rendered if o["kind"] == obj["kind"] and o["metadata"]["name"] == meta["name"]]
                assert matching, f"{obj['kind']} {meta['name']} is not an object of its owner route {route.name}"
                assert any(reconcile.objects._contains(obj, o) for o in matching) or route.deletion_requested_at, (
                    f"{obj['kind']} {meta['name']} was written by another route than its owner {route.name}"
                )
            # And the other way round: a route at its approved revision still owns every object it applied, so no
            # other route took one over (a managed Service of the same name, say).
            by_key = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}
            settled = Route.objects.filter(
                cluster=cluster,
                deleted_at__isnull=True,
                deletion_requested_at__isnull=True,
                applied_revision__isnull=False,
                applied_revision=F("approved_revision"),
            )
            for route in settled:
                for wanted in render.render_route(
                    route_target(route, route.applied_revision),
                    revision_spec(route.revision_obj(route.applied_revision)),
                    settings_,
                ):
                    meta = wanted["metadata"]
                    live = by_key.get((wanted["kind"], meta.get("namespace"), meta["name"]))
                    assert live is not None, f"{route.name}'s {wanted['kind']} {meta['name']} is gone from {cluster}"
                    owner = (live["metadata"].get("labels") or {}).get(render.ROUTE_LABEL)
                    assert owner == str(route.pk), (
                        f"{route.name}'s {wanted['kind']} {meta['name']} on {cluster} was taken over by route {owner}"
                    )
            certificates = {o["spec"]["secretName"]: o for o in objects if o["kind"] == "Certificate"}
            for ingress in (o for o in objects if o["kind"] == "Ingress"):
                for tls in ingress["spec"].get("tls") or []:
                    certificate = certificates.get(tls["secretName"])
                    if certificate is not None:
                        assert set(tls["hosts"]) <= set(certificate["spec"]["dnsNames"]), (
                            f"Ingress {ingress['metadata']['name']} serves {tls['hosts']} with a certificate for "
                            f"{certificate['spec']['dnsNames']}"
                        )

    @invariant()
    def nobody_approved_content_they_wrote(self):
        for route in Route.objects.all():
            approved = sorted(
                Review.objects.filter(route=route, decision=ApprovalChoices.APPROVED), key=lambda r: r.revision
            )
            previous = 0
            for review in approved:
                authors = set(
                    RouteRevision.objects.filter(
                        route=route, number__gt=previous, number__lte=review.revision
                    ).values_list("created_by_id", flat=True)
                )
                if review.reviewer_id is not None:
                    assert review.reviewer_id not in authors, (
                        f"{route.name} r{review.revision} approved by one of its authors"
                    )
                else:
                    assert not authors & self.platform, (
                        f"{route.name} r{review.revision} auto-approved although a platform engineer wrote it"
                    )
                previous = review.revision

    @invariant()
    def every_served_host_is_claimed_by_the_serving_team(self):
        for route in Route.objects.filter(deleted_at__isnull=True).select_related("team"):
            for number in {n for n in (route.approved_revision, route.applied_revision) if n}:
                host = route.revision_obj(number).host
                claim = HostClaim.objects.filter(host=host).first()
                assert claim is not None and claim.team_id == route.team_id, (
                    f"{host} is served by {route.team.slug}'s route {route.name} but claimed by "
                    f"{claim.team.slug if claim else 'nobody'}"
                )
        for cluster in self.clusters:
            for ingress in (o for o in self._objects(cluster) if o["kind"] == "Ingress"):
                team = ingress["metadata"]["labels"][render.TEAM_LABEL]
                for rule_ in ingress["spec"]["rules"]:
                    claim = HostClaim.objects.filter(host=rule_["host"]).select_related("team").first()
                    assert claim is not None and claim.team.slug == team, (
                        f"{rule_['host']} is served on {cluster} for {team} but claimed by "
                        f"{claim.team.slug if claim else 'nobody'}"
                    )

    @invariant()
    def nothing_is_written_outside_the_cluster_folder(self):
        folders = {c.pk: c.directory_path().resolve() for c in self.clusters if c.is_directory}
        for path in self.root.rglob("*"):
            if not path.is_file():
                continue
            owners = [pk for pk, folder in folders.items() if folder in path.resolve().parents]
            assert len(owners) == 1, f"{path} lies in the folders of clusters {owners}"
            route_id = (yaml.safe_load(path.read_text())["metadata"].get("labels") or {}).get(render.ROUTE_LABEL)
            if route_id:
                route = Route.objects.get(pk=route_id)
                assert route.cluster_id == owners[0], f"{path} belongs to route {route.name} of {route.cluster}"
        assert not any(self.outside.iterdir()), f"something was written to {self.outside}"


def test_rules_hold_under_any_interleaving(kube, tmp_path, settings):
    root = tmp_path / "clusters"
    outside = tmp_path / "outside"
    outside.mkdir()
    settings.PORTICO_DIRECTORY_ROOT = root

    run_state_machine_as_test(
        lambda: PorticoRules(kube, root, outside),
        settings=settings_for_machine(),
    )


def settings_for_machine():
    return hypothesis_settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, suppress_health_check=list(HealthCheck)
    )
