from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from clusters.models import Cluster
from portal.audit import cluster_snapshot, record


class Command(BaseCommand):
    help = "Register (or update) a Kubernetes cluster from a kubeconfig file with inline credentials."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kubeconfig", required=True, type=Path)
        parser.add_argument("--context")
        parser.add_argument("--ingress-class")
        parser.add_argument("--issuer")
        parser.add_argument("--display-name")
        parser.add_argument("--server", help="Use this API server address instead of the kubeconfig's (e.g. the "
                            "address Portico's workers reach, when the kubeconfig says 127.0.0.1).")
        parser.add_argument("--insecure-skip-tls-verify", action="store_true",
                            help="Accept the API server without verifying its certificate (shown on the cluster page).")

    def handle(self, *args, name, kubeconfig, context, ingress_class, issuer, display_name, insecure_skip_tls_verify,
               server=None, **options):
        try:
            text = kubeconfig.read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {kubeconfig}: {exc.strerror}")
        cluster = Cluster.objects.filter(name=name).first() or Cluster(name=name, mode="kubernetes")
        cluster.insecure_skip_tls_verify = insecure_skip_tls_verify
        for field, value in (("ingress_class", ingress_class), ("default_issuer", issuer), ("display_name", display_name)):
            if value:
                setattr(cluster, field, value)
        try:
            cluster.full_clean(exclude=["kubeconfig_encrypted"])
            if server:
                parsed = parse_kubeconfig(text, context, allow_insecure=insecure_skip_tls_verify)
                parsed.config["clusters"][0]["cluster"]["server"] = server
                text = parsed.config
            cluster.set_kubeconfig(text, context)
        except KubeconfigError as exc:
            raise CommandError(str(exc))
        except Exception as exc:  # ValidationError from full_clean: say which field
            raise CommandError(str(exc))
        created = cluster.pk is None
        before = None if created else cluster_snapshot(Cluster.objects.get(pk=cluster.pk))
        with transaction.atomic():
            cluster.save()
            record(None, "create" if created else "edit", cluster, before=before,
                   after={**cluster_snapshot(cluster), "kubeconfig_replaced": True})
        self.stdout.write(f"{'Added' if created else 'Updated'} cluster {cluster.name} (context {cluster.context}).")
