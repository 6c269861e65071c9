from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clusters import services
from clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Register (or update) a Kubernetes cluster from a kubeconfig file with inline credentials."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kubeconfig", required=True, type=Path)
        parser.add_argument("--context")
        parser.add_argument("--ingress-class")
        parser.add_argument("--issuer")
        parser.add_argument("--display-name")
        parser.add_argument(
            "--server",
            help="Use this API server address instead of the kubeconfig's (e.g. the "
            "address Portico's workers reach, when the kubeconfig says 127.0.0.1).",
        )
        parser.add_argument(
            "--insecure-skip-tls-verify",
            action="store_true",
            help="Accept the API server without verifying its certificate (shown on the cluster page).",
        )

    def handle(
        self,
        *args,
        name,
        kubeconfig,
        context,
        ingress_class,
        issuer,
        display_name,
        insecure_skip_tls_verify,
        server=None,
        **options,
    ):
        try:
            text = kubeconfig.read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {kubeconfig}: {exc.strerror}") from exc
        cluster = Cluster.objects.filter(name=name).first() or Cluster(name=name, mode="kubernetes")
        created = cluster.pk is None
        cluster.insecure_skip_tls_verify = insecure_skip_tls_verify
        if context:
            cluster.context = context
        for field, value in (
            ("ingress_class", ingress_class),
            ("default_issuer", issuer),
            ("display_name", display_name),
        ):
            if value:
                setattr(cluster, field, value)
        if server:
            try:
                parsed = parse_kubeconfig(text, context, allow_insecure=insecure_skip_tls_verify)
            except KubeconfigError as exc:
                raise CommandError(str(exc)) from exc
            parsed.config["clusters"][0]["cluster"]["server"] = server
            text = parsed.config
        save = services.create_cluster if created else services.update_cluster
        try:
            save(cluster, user=None, kubeconfig=text)
        except ValidationError as exc:
            raise CommandError(
                " ".join(f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages)
            ) from exc
        self.stdout.write(f"{'Added' if created else 'Updated'} cluster {cluster.name} (context {cluster.context}).")
