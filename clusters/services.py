"""Cluster writes: the one path every create, change and delete of a cluster takes, from the admin, the API
and the management commands alike (docs/security.md, "Write paths").

Each function validates, writes and records an audit event. Validation failures raise Django's
``ValidationError`` with messages per field (``core.errors.ConflictError`` when another object is in the
way); the admin form and the API serializer turn them into field errors. ``validate_cluster`` is the check
on its own, for the admin form to show errors before it saves.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from core import crypto
from core.audit import record
from core.errors import ConflictError
from core.names import is_dns1123_subdomain

from .choices import ClusterModeChoices
from .kubeconfig import KubeconfigError
from .models import Cluster

# Fields a change of credentials is judged under: the stored kubeconfig was accepted with the old values.
_CREDENTIAL_SETTINGS = ("insecure_skip_tls_verify", "context")
# What a platform engineer sets on a cluster, in the admin and the API alike (the kubeconfig aside: write-only).
SETTINGS_FIELDS = (
    "name",
    "display_name",
    "mode",
    "context",
    "insecure_skip_tls_verify",
    "directory",
    "ingress_class",
    "ingress_controller",
    "default_issuer",
    "output",
    "gateway_name",
    "gateway_namespace",
    "gateway_section_name",
)


def cluster_snapshot(cluster) -> dict:
    """A cluster's settings for the audit trail; credentials are never part of it."""
    return {
        "name": cluster.name,
        "display_name": cluster.display_name,
        "mode": cluster.mode,
        "context": cluster.context,
        "insecure_skip_tls_verify": cluster.insecure_skip_tls_verify,
        "directory": cluster.directory,
        "ingress_class": cluster.ingress_class,
        "default_issuer": cluster.default_issuer,
        "output": cluster.output,
        "gateway_name": cluster.gateway_name,
        "gateway_namespace": cluster.gateway_namespace,
        "gateway_section_name": cluster.gateway_section_name,
        "has_credentials": cluster.has_credentials,
    }


def validate_cluster(cluster: Cluster, *, kubeconfig: str | dict | None = None) -> None:  # noqa: C901 - one check per field
    """Judge ``cluster`` (new, or a stored one carrying its changes) before it is saved.

    A given ``kubeconfig`` is checked (clusters/kubeconfig.py) and stored encrypted on ``cluster``; without
    one, the stored kubeconfig is judged again whenever a setting it was accepted under changes (turning
    "insecure skip TLS verify" off while it skips verification is refused). Raises ValidationError.
    """
    stored = Cluster.objects.filter(pk=cluster.pk).first() if cluster.pk is not None else None
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        cluster.full_clean(exclude=["kubeconfig_encrypted"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    if stored is not None and cluster.name != stored.name:
        add("name", "A cluster cannot be renamed; routes and teams refer to it.")
    for field, what in (("ingress_class", "Ingress class"), ("default_issuer", "Issuer")):
        value = getattr(cluster, field)
        if field not in errors and not is_dns1123_subdomain(value):
            add(
                field,
                f"{what} {value!r} is not a valid Kubernetes name: use at most 253 lower-case letters, "
                'digits, "-" and ".", starting and ending with a letter or digit.',
            )

    if cluster.mode == ClusterModeChoices.DIRECTORY and "directory" not in errors:
        problem = cluster.folder_problem()
        if problem:
            add("directory", problem)

    if kubeconfig:
        try:
            cluster.set_kubeconfig(kubeconfig, cluster.context or None)
        except KubeconfigError as exc:
            add("kubeconfig", str(exc))
    elif stored is not None and stored.has_credentials:
        changed = [f for f in _CREDENTIAL_SETTINGS if getattr(cluster, f) != getattr(stored, f)]
        if changed:
            _rejudge_stored_kubeconfig(cluster, stored, changed, add)
    elif cluster.mode == ClusterModeChoices.KUBERNETES and not cluster.has_credentials:
        add("kubeconfig", "A kubernetes cluster needs a kubeconfig.")
    if errors:
        raise ValidationError(errors)


def _rejudge_stored_kubeconfig(cluster: Cluster, stored: Cluster, changed: list[str], add) -> None:
    field = changed[0]
    try:
        text = stored.get_kubeconfig()
    except crypto.DecryptionError:
        add(field, "The stored kubeconfig cannot be decrypted; send it again with the new setting.")
        return
    try:
        cluster.set_kubeconfig(text, cluster.context or None)
    except KubeconfigError as exc:
        add(
            field,
            f"The stored kubeconfig does not allow this change: {exc} Send a kubeconfig that does "
            "together with the change.",
        )


def create_cluster(cluster: Cluster, *, user, kubeconfig: str | dict | None = None) -> Cluster:
    """Validate and save a new cluster (``cluster`` unsaved, its settings set), and audit it."""
    validate_cluster(cluster, kubeconfig=kubeconfig)
    taken = ConflictError({"name": [f'A cluster named "{cluster.name}" already exists.']})
    try:
        with transaction.atomic():
            if Cluster.objects.filter(name=cluster.name).exists():
                raise taken
            cluster.save()
            record(
                user, "create", cluster, after={**cluster_snapshot(cluster), "kubeconfig_replaced": bool(kubeconfig)}
            )
    except IntegrityError:
        raise taken from None
    return cluster


def update_cluster(cluster: Cluster, *, user, kubeconfig: str | dict | None = None) -> Cluster:
    """Validate and save a stored cluster carrying its changes, and audit what changed. Without a new
    ``kubeconfig`` the stored one is kept, provided it is still acceptable under the new settings."""
    validate_cluster(cluster, kubeconfig=kubeconfig)
    with transaction.atomic():
        before = cluster_snapshot(Cluster.objects.select_for_update().get(pk=cluster.pk))
        cluster.save()
        after = cluster_snapshot(cluster)
        if after != before or kubeconfig:
            record(user, "edit", cluster, before=before, after={**after, "kubeconfig_replaced": bool(kubeconfig)})
    return cluster


def delete_cluster(cluster: Cluster, *, user) -> None:
    """Remove a cluster that never had routes (deleted routes stay in history and keep their cluster)."""
    try:
        with transaction.atomic():
            record(user, "delete", cluster, before=cluster_snapshot(cluster))
            cluster.delete()
    except ProtectedError:
        raise ConflictError(
            {
                NON_FIELD_ERRORS: [
                    (
                        f'Cluster "{cluster.name}" still has routes (deleted routes are kept in history and count too); '
                        "it cannot be removed."
                    )
                ]
            }
        ) from None


def reencrypt_kubeconfig(cluster: Cluster) -> bool:
    """Re-encrypt the stored kubeconfig with the newest PORTICO_ENCRYPTION_KEYS key; False when it was replaced
    meanwhile (left as it is now). Raises crypto.DecryptionError when no configured key decrypts it."""
    token = crypto.rotate(cluster.kubeconfig_encrypted)
    with transaction.atomic():
        # Compare-and-swap: a kubeconfig replaced meanwhile (admin, API, add_cluster) is newer than ours.
        rotated = Cluster.objects.filter(pk=cluster.pk, kubeconfig_encrypted=cluster.kubeconfig_encrypted).update(
            kubeconfig_encrypted=token
        )
        if rotated:
            record(None, "reencrypt", cluster, after={"has_credentials": True})
    return bool(rotated)


# What the worker learns about a cluster: written by routes.reconcile's sync and by adoption, never by users,
# so they need no validation or audit; one statement each, on the row only (a concurrent settings change
# through the functions above is not overwritten).


def record_sync_refused(cluster: Cluster, message: str) -> None:
    """The last sync could not run (folder refused, API server refused): ``message`` says why, for the pages."""
    Cluster.objects.filter(pk=cluster.pk).update(sync_error=message)


def record_synced(cluster: Cluster) -> None:
    Cluster.objects.filter(pk=cluster.pk).update(last_synced_at=timezone.now(), sync_error="")


def record_output_synced(cluster: Cluster) -> None:
    """The objects of the cluster's previous output kind (Ingress or HTTPRoute) are gone from it."""
    Cluster.objects.filter(pk=cluster.pk).update(synced_output=cluster.output)
    cluster.synced_output = cluster.output


def record_cert_manager(cluster: Cluster, *, present: bool) -> None:
    """Whether the last sync found cert-manager's Certificate resource type served (its CRD installed)."""
    if cluster.cert_manager_present is not present:
        Cluster.objects.filter(pk=cluster.pk).update(cert_manager_present=present)
        cluster.cert_manager_present = present


def record_foreign_ingresses(cluster: Cluster, found: list[dict]) -> None:
    """The host+paths of Ingresses Portico does not manage, as the last sync saw them (conflict checks read them)."""
    Cluster.objects.filter(pk=cluster.pk).update(foreign_ingresses=found)
    cluster.foreign_ingresses = found
