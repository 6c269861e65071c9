"""Re-encrypt every stored kubeconfig with the newest PORTICO_ENCRYPTION_KEYS key.

Rotation: put the new key first in PORTICO_ENCRYPTION_KEYS (keep the old ones after it), restart, run this
command, then drop the old keys from the list.
"""

from django.core.management.base import BaseCommand, CommandError

from clusters import services
from clusters.models import Cluster
from core import crypto


class Command(BaseCommand):
    help = "Re-encrypt all stored kubeconfigs with the newest key in PORTICO_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated, failed = 0, []
        for cluster in Cluster.objects.exclude(kubeconfig_encrypted="").only("pk", "name", "kubeconfig_encrypted"):
            try:
                rotated += services.reencrypt_kubeconfig(cluster)
            except crypto.DecryptionError:  # say which cluster, never the secret
                failed.append(cluster.name)
        self.stdout.write(f"Re-encrypted {rotated} kubeconfig(s) with the newest key.")
        if failed:
            raise CommandError(
                f"No configured key decrypts the kubeconfig of: {', '.join(failed)}. "
                "Add the key they were encrypted with to PORTICO_ENCRYPTION_KEYS, or register them again."
            )
