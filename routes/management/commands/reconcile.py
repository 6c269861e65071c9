from django.core.management.base import BaseCommand, CommandError

from clusters import probe
from clusters.kube import TransientKubeError
from clusters.models import Cluster
from routes import reconcile
from routes.models import Route


class Command(BaseCommand):
    help = "Reconcile one route, one cluster, or every cluster now, in this process. Exits non-zero on failures."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--route", help="route id (uuid)")
        target.add_argument("--cluster", help="cluster name")

    def handle(self, *args, route=None, cluster=None, **options):
        if route:
            if not Route.objects.filter(pk=route).exists():
                raise CommandError(f"No route with id {route}.")
            try:
                result = reconcile.reconcile_route(route)
            except TransientKubeError as exc:
                raise CommandError(f"route {route}: {exc.message}") from exc
            self.stdout.write(f"route {route}: {result.value}")
            if result is reconcile.Result.DEGRADED:
                raise CommandError(f"route {route} is degraded: see its status.")
            return
        clusters = Cluster.objects.filter(name=cluster) if cluster else Cluster.objects.all()
        if cluster and not clusters:
            raise CommandError(f'No cluster named "{cluster}".')
        failed = False
        for c in clusters:
            if not c.is_directory:
                probe.probe_cluster(c.pk)
            report = reconcile.sync_cluster(c.pk)
            self.stdout.write(report.summary())
            for error in report.errors:
                self.stderr.write(f"  {error}")
            failed |= bool(report.errors) or report.skipped
        if failed:
            raise CommandError("Some clusters did not sync cleanly.")
