from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clusters.directory import DirectoryTarget
from clusters.models import Cluster
from routes.adapters import cluster_settings, revision_spec, route_target
from routes.domain import render
from routes.models import Route, RouteRevision


class Command(BaseCommand):
    help = "Write the manifests of every approved route of a cluster to DIR, one YAML file per object."

    def add_arguments(self, parser):
        parser.add_argument("--cluster", required=True)
        parser.add_argument("dir", type=Path)

    def handle(self, *args, cluster, dir, **options):
        target_cluster = Cluster.objects.filter(name=cluster).first()
        if target_cluster is None:
            raise CommandError(f'No cluster named "{cluster}".')
        routes = {
            r.pk: r
            for r in Route.objects.live()
            .filter(cluster=target_cluster, approved_revision__isnull=False, deletion_requested_at__isnull=True)
            .select_related("team")
        }
        revisions = RouteRevision.objects.filter(
            route_id__in=routes, number__in={r.approved_revision for r in routes.values()}
        )
        pairs = [
            (route_target(routes[rev.route_id], rev.number), revision_spec(rev))
            for rev in revisions
            if rev.number == routes[rev.route_id].approved_revision
        ]
        objects = render.desired_objects(pairs, cluster_settings(target_cluster))
        target = DirectoryTarget(dir)
        for obj in objects:
            target.apply(obj)
        self.stdout.write(f"Wrote {len(objects)} objects for {len(pairs)} routes to {dir}.")
