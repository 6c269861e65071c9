"""Print a kubeconfig for Portico's service account on a target cluster.

Run it with an administrator's kubeconfig after applying deploy/target-rbac.yaml. It reads the service
account's long-lived token Secret and prints a kubeconfig with inline data only (server, CA, token), ready
for `manage.py add_cluster NAME --kubeconfig FILE`. Portico itself then holds nothing but the least-privilege
credentials that file describes.
"""

import base64
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from clusters.kube import Kind, KubeClient, KubeError
from clusters.kubeconfig import KubeconfigError, parse_kubeconfig

SECRET = Kind("v1", "Secret", "secrets")


class Command(BaseCommand):
    help = "Print an inline kubeconfig for Portico's service account (see deploy/target-rbac.yaml)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kubeconfig", required=True, type=Path, help="An administrator's kubeconfig (inline data)."
        )
        parser.add_argument("--context")
        parser.add_argument("--namespace", default="portico-system")
        parser.add_argument(
            "--secret",
            default="portico-reconciler-token",
            help="The service-account-token Secret created by deploy/target-rbac.yaml.",
        )
        parser.add_argument("--server", help="API server address Portico should use, if not the admin's.")
        parser.add_argument("--cluster-name", default="target", help="Name of the cluster entry in the output.")

    def handle(self, *args, kubeconfig, context, namespace, secret, server, cluster_name, **options):
        try:
            admin = parse_kubeconfig(kubeconfig.read_text(), context)
        except OSError as exc:
            raise CommandError(f"Cannot read {kubeconfig}: {exc.strerror}") from exc
        except KubeconfigError as exc:
            raise CommandError(str(exc)) from exc
        try:
            with KubeClient(admin.config, name=f"admin:{admin.server}") as client:
                obj = client.get(SECRET, secret, namespace)
        except KubeError as exc:
            raise CommandError(f"The API server refused to read Secret {namespace}/{secret}: {exc.message}") from exc
        if obj is None:
            raise CommandError(
                f"Secret {namespace}/{secret} does not exist. Apply deploy/target-rbac.yaml first "
                "(kubectl apply -f deploy/target-rbac.yaml)."
            )
        data = obj.get("data") or {}
        if not data.get("token"):
            raise CommandError(
                f"Secret {namespace}/{secret} has no token yet; Kubernetes fills it in a few seconds after the "
                "Secret is created. Run this again."
            )
        token = base64.b64decode(data["token"]).decode()
        cluster = {"server": server or admin.server}
        if data.get("ca.crt"):
            cluster["certificate-authority-data"] = data["ca.crt"]  # already base64, as kubeconfig wants it
        elif admin.config["clusters"][0]["cluster"].get("certificate-authority-data"):
            cluster["certificate-authority-data"] = admin.config["clusters"][0]["cluster"]["certificate-authority-data"]
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "portico",
            "clusters": [{"name": cluster_name, "cluster": cluster}],
            "users": [{"name": "portico", "user": {"token": token}}],
            "contexts": [{"name": "portico", "context": {"cluster": cluster_name, "user": "portico"}}],
        }
        try:
            parse_kubeconfig(config)  # the rules add_cluster and the cluster services apply
        except KubeconfigError as exc:
            raise CommandError(f"Portico would refuse this kubeconfig: {exc}") from exc
        self.stdout.write(yaml.safe_dump(config, sort_keys=False))
