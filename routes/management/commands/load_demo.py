"""Demo data that tells Portico's story at once; safe to run again (it does nothing the second time).

With ``--live-kubeconfig`` (routes.live_demo, once `make run`'s local kube-apiserver is up) it also registers
that server as cluster ``live`` and tells the same story there, so the routes' status comes from real objects.
"""

from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters import services as cluster_services
from clusters.live_demo import LIVE_CLUSTER
from clusters.models import Cluster
from routes import reconcile, services
from routes.domain.values import TLS, Backend, RouteSpec
from routes.models import Route
from teams import services as team_services
from teams.models import Team

DEMO_USERS = {
    "platform": ("platform-demo", "platform engineer: reviews and approves"),
    "reviewer": ("reviewer-demo", "second platform engineer"),
    "dev": ("dev-demo", "developer in team shop"),
    "blogger": ("blogger-demo", "developer in team blog"),
}
LIVE_DISPLAY_NAME = "Live (local kube-apiserver)"


class Command(BaseCommand):
    help = (
        "Load demo users, teams, a directory cluster and routes in every state (once); --live-kubeconfig adds "
        "the live demo cluster and its routes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--live-ingress-class",
            default="nginx",
            help="the live cluster's IngressClass (traefik when the real data path runs)",
        )
        parser.add_argument(
            "--live-issuer",
            default="letsencrypt",
            help="the live cluster's ClusterIssuer (portico-ca when the real data path runs)",
        )
        parser.add_argument(
            "--live-kubeconfig",
            type=Path,
            help='register this (inline, least-privilege) kubeconfig as cluster "live" and tell '
            "the demo story there too",
        )

    def handle(self, *args, live_kubeconfig=None, live_ingress_class="nginx", live_issuer="letsencrypt", **options):
        if live_kubeconfig is not None:
            self._load_live(live_kubeconfig, live_ingress_class, live_issuer)
            return
        if User.objects.filter(username="platform").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for username, (password, role) in DEMO_USERS.items():
            self.stdout.write(f"  {username} / {password}  ({role})")

    @transaction.atomic
    def _load(self):
        platform_group, _ = Group.objects.get_or_create(name="platform")
        users = {name: User.objects.create_user(name, password=password) for name, (password, _) in DEMO_USERS.items()}
        for name in ("platform", "reviewer"):
            users[name].groups.add(platform_group)
            users[name].is_staff = True
            users[name].is_superuser = True
            users[name].save()
        # Through the services every other write of clusters and teams takes, so the demo is audited like them.
        local = cluster_services.create_cluster(
            Cluster(
                name="local",
                display_name="Local (GitOps export)",
                mode="directory",
                ingress_class="nginx",
                # A directory cluster has no probe to read its IngressClass: the GitOps target runs ingress-nginx,
                # so the form offers its route options (docs/route-options.md).
                ingress_controller="k8s.io/ingress-nginx",
                default_issuer="letsencrypt",
            ),
            user=users["platform"],
        )
        shop = team_services.create_team(
            Team(slug="shop", name="Shop", domains=["shop.example.com"], allow_load_balancer=True),
            user=users["platform"],
            members=[users["dev"]],
            namespaces=[(local, "shop")],
        )
        blog = team_services.create_team(
            Team(slug="blog", name="Blog", domains=["blog.example.com"], allow_plain_http=True),
            user=users["platform"],
            members=[users["blogger"]],
            namespaces=[(local, "blog")],
        )

        frontend = _tell_story(local, shop, users)
        services.submit_route(
            user=users["blogger"],
            team=blog,
            cluster=local,
            namespace="blog",
            name="blog",
            spec=RouteSpec(
                host="blog.example.com", path="/", tls=TLS(), backend=Backend(service_name="blog", service_port=80)
            ),
        )
        transaction.on_commit(lambda: reconcile.reconcile_route(frontend.pk))

    def _load_live(self, kubeconfig: Path, ingress_class: str = "nginx", issuer: str = "letsencrypt") -> None:
        """Register (or re-point, after a restart on another port) cluster ``live`` and tell the story there once.
        The approval enqueues the frontend's reconcile; the worker applies it as the kubeconfig's identity."""
        if not User.objects.filter(username="platform").exists():
            raise CommandError("Load the demo data first (manage.py load_demo).")
        call_command(
            "add_cluster",
            LIVE_CLUSTER,
            kubeconfig=kubeconfig,
            display_name=LIVE_DISPLAY_NAME,
            ingress_class=ingress_class,
            issuer=issuer,
            stdout=self.stdout,
        )
        live = Cluster.objects.get(name=LIVE_CLUSTER)
        if Route.objects.filter(cluster=live).exists():
            self.stdout.write(f"Demo routes on cluster {LIVE_CLUSTER} already loaded.")
            return
        with transaction.atomic():
            users = {name: User.objects.get(username=name) for name in DEMO_USERS}
            shop = Team.objects.get(slug="shop")
            namespaces = [(n.cluster, n.namespace) for n in shop.namespaces.select_related("cluster")]
            team_services.update_team(shop, user=users["platform"], namespaces=[*namespaces, (live, "shop")])
            _tell_story(live, shop, users)
        self.stdout.write(self.style.SUCCESS(f"Demo routes loaded on cluster {LIVE_CLUSTER}."))


def _tell_story(cluster: Cluster, shop: Team, users: dict) -> Route:
    """The classic story on ``cluster``: the frontend at / (approved, live), the API at /api (pending review) and
    a metrics dashboard on its own host (rejected, with the reviewer's reason). Returns the frontend."""

    def request(name, host, path, backend):
        return services.submit_route(
            user=users["dev"],
            team=shop,
            cluster=cluster,
            namespace="shop",
            name=name,
            spec=RouteSpec(host=host, path=path, backend=backend, tls=TLS()),
        )

    frontend = request(
        "frontend",
        "shop.example.com",
        "/",
        Backend(service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"}),
    )
    services.approve_route(frontend, user=users["platform"], comment="Frontend goes live.")
    request("api", "shop.example.com", "/api", Backend(service_name="api", service_port=8000))
    metrics = request(
        "metrics",
        "metrics.shop.example.com",
        "/",
        Backend(
            service_name="grafana",
            service_port=3000,
            service_type="LoadBalancer",
            target_port=3000,
            selector={"app": "grafana"},
        ),
    )
    services.reject_route(
        metrics,
        user=users["platform"],
        comment="A LoadBalancer per dashboard costs a cloud load balancer each; use ClusterIP "
        "behind the Ingress like the others.",
    )
    return frontend
