"""Re-encrypt every stored kubeconfig with the newest PORTICO_ENCRYPTION_KEYS key.

Rotation: put the new key first in PORTICO_ENCRYPTION_KEYS (keep the old ones after it), restart, run this
command, then drop the old keys from the list.
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters import crypto
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Re-encrypt all stored kubeconfigs with the newest key in PORTICO_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated, failed = 0, []
        for cluster in Cluster.objects.exclude(kubeconfig_encrypted="").only("pk", "name", "kubeconfig_encrypted"):
            try:
                token = crypto.rotate(cluster.kubeconfig_encrypted)
            except Exception:  # noqa: BLE001 - cryptography raises InvalidToken; say which cluster, not the secret
                failed.append(cluster.name)
                continue
            with transaction.atomic():
                # Compare-and-swap: a kubeconfig replaced meanwhile (admin, add_cluster) is left as it is now.
                rotated += Cluster.objects.filter(pk=cluster.pk, kubeconfig_encrypted=cluster.kubeconfig_encrypted
                                                  ).update(kubeconfig_encrypted=token)
        self.stdout.write(f"Re-encrypted {rotated} kubeconfig(s) with the newest key.")
        if failed:
            raise CommandError(
                f"No configured key decrypts the kubeconfig of: {', '.join(failed)}. "
                "Add the key they were encrypted with to PORTICO_ENCRYPTION_KEYS, or register them again."
            )
