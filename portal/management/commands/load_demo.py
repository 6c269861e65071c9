"""Demo data that tells Portico's story at once; safe to run again (it does nothing the second time)."""
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from clusters import services as cluster_services
from clusters.models import Cluster
from portal import services as team_services
from portal.models import Team
from routes import reconcile, services
from routes.spec import TLS, Backend, RouteSpec

DEMO_USERS = {
    "platform": ("platform-demo", "platform engineer: reviews and approves"),
    "reviewer": ("reviewer-demo", "second platform engineer"),
    "dev": ("dev-demo", "developer in team shop"),
    "blogger": ("blogger-demo", "developer in team blog"),
}


class Command(BaseCommand):
    help = "Load demo users, teams, a directory cluster and routes in every state (once)."

    def handle(self, *args, **options):
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
            Cluster(name="local", display_name="Local (GitOps export)", mode="directory", ingress_class="nginx",
                    default_issuer="letsencrypt"), user=users["platform"])
        shop = team_services.create_team(
            Team(slug="shop", name="Shop", domains=["shop.example.com"], allow_load_balancer=True),
            user=users["platform"], members=[users["dev"]], namespaces=[(local, "shop")])
        blog = team_services.create_team(
            Team(slug="blog", name="Blog", domains=["blog.example.com"], allow_plain_http=True),
            user=users["platform"], members=[users["blogger"]], namespaces=[(local, "blog")])

        def request(name, host, path, backend, user="dev", team=shop, namespace="shop"):
            return services.submit_route(user=users[user], team=team, cluster=local, namespace=namespace, name=name,
                                         spec=RouteSpec(host=host, path=path, backend=backend, tls=TLS()))

        frontend = request("frontend", "shop.example.com", "/", Backend(
            service_name="frontend", service_port=80, target_port=8080, selector={"app": "frontend"}))
        services.approve_route(frontend, user=users["platform"], comment="Frontend goes live.")
        request("api", "shop.example.com", "/api", Backend(service_name="api", service_port=8000))
        metrics = request("metrics", "metrics.shop.example.com", "/", Backend(
            service_name="grafana", service_port=3000, service_type="LoadBalancer", target_port=3000,
            selector={"app": "grafana"}))
        services.reject_route(metrics, user=users["platform"],
                              comment="A LoadBalancer per dashboard costs a cloud load balancer each; use ClusterIP "
                                      "behind the Ingress like the others.")
        request("blog", "blog.example.com", "/", Backend(service_name="blog", service_port=80), user="blogger",
                team=blog, namespace="blog")
        transaction.on_commit(lambda: reconcile.reconcile_route(frontend.pk))
