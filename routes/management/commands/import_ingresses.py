from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clusters.kube import KubeError
from clusters.models import Cluster
from core.access import is_platform
from routes import adopt


class Command(BaseCommand):
    help = (
        "List the Ingresses on a cluster that Portico does not manage, with their team and whether they can be "
        "adopted, and adopt the ones that can (unless --dry-run). Exits non-zero when the cluster cannot be "
        "reached or an adoption fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cluster", required=True, help="cluster name")
        parser.add_argument("--namespace", help="only this namespace")
        parser.add_argument("--dry-run", action="store_true", help="show what would be adopted; change nothing")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="platform engineer recorded as the adopter (default: the system)",
        )

    def handle(self, *args, cluster, namespace=None, dry_run=False, username=None, **options):
        target = Cluster.objects.filter(name=cluster).first()
        if target is None:
            raise CommandError(f'No cluster named "{cluster}".')
        user = self._user(username) if username else None
        try:
            candidates = adopt.discover(target, namespace=namespace)
        except adopt.AdoptionUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except KubeError as exc:
            raise CommandError(f"Cannot list the Ingresses of {target.name}: {exc.message}") from exc
        if not candidates:
            self.stdout.write(
                f"No Ingresses without Portico's label on {target.name}"
                f"{f' in namespace {namespace}' if namespace else ''}."
            )
            return
        self._table(candidates)
        adoptable = [c for c in candidates if c.adoptable]
        self.stdout.write(f"\n{len(adoptable)} of {len(candidates)} can be adopted.")
        if dry_run or not adoptable:
            if dry_run:
                self.stdout.write("Dry run: nothing was changed.")
            return
        failed = 0
        for result in adopt.adopt(target, adoptable, user):
            if result.ok and result.route is not None:
                self.stdout.write(
                    f"adopted {result.candidate.key} as route {result.route.pk} (team {result.route.team.slug})"
                )
            else:
                failed += 1
                self.stderr.write(f"failed  {result.candidate.key}: {result.error}")
        if failed:
            raise CommandError(f"{failed} adoption(s) failed.")

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f'No user named "{username}".')
        if not is_platform(user):
            raise CommandError(f'"{username}" is not a platform engineer; only they adopt Ingresses.')
        return user

    def _table(self, candidates) -> None:
        rows = [("INGRESS", "HOST+PATH", "TEAM", "ADOPTION")]
        for c in candidates:
            if c.adoptable:
                verdict = "adoptable (finishes an earlier adoption)" if c.route else "adoptable"
            else:
                verdict = " ".join(c.reasons)
            rows.append((c.key, c.where or "-", c.team.slug if c.team else "-", verdict))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            self.stdout.write(
                "  ".join(value.ljust(width) for value, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
