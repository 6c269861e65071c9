"""The TLS Secret a pruned Certificate leaves behind (docs/architecture.md, "Clusters as they really are").

cert-manager writes a Certificate's key pair into the Secret its ``spec.secretName`` names, and leaves that Secret
when the Certificate is deleted (unless it runs with ``--enable-certificate-owner-ref``). When Portico prunes one of
its Certificates (the last route on the host went, the host changed, the cluster's output changed), it removes that
Secret too, but only when it is provably the Certificate's:

- it is in the Certificate's namespace and named as its ``spec.secretName``;
- cert-manager's annotation ``cert-manager.io/certificate-name`` on it names that Certificate;
- no Certificate Portico still wants in that namespace names the same Secret;
- it is deleted with a uid precondition, so a Secret deleted and created again since it was read is left alone.

Reading and deleting Secrets is sensitive, so deploy/target-rbac.yaml grants neither: the opt-in
deploy/target-rbac-tls-secrets.yaml grants ``get`` and ``delete``. Portico asks (SelfSubjectAccessReview) before it
reads; without the grant it leaves the Secret and says so in an audit event for the platform engineers. Every
Secret it deletes gets an audit event as well.
"""

import logging
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from clusters.kube import SECRET, KubeError
from clusters.models import Cluster
from core.audit import record
from routes.models import Route

from .surroundings import may

logger = logging.getLogger(__name__)

CERTIFICATE_NAME_ANNOTATION = "cert-manager.io/certificate-name"
GRANT = "deploy/target-rbac-tls-secrets.yaml"


def still_named(objects: Iterable[dict]) -> set[tuple[str, str]]:
    """(namespace, Secret name) of every Certificate among ``objects`` (what Portico still wants)."""
    return {
        ((obj.get("metadata") or {}).get("namespace") or "", (obj.get("spec") or {}).get("secretName") or "")
        for obj in objects
        if obj.get("kind") == "Certificate"
    }


def remove_left_behind(
    target,
    cluster: Cluster,
    certificate: dict,
    route: Route | None,
    wanted: AbstractSet[tuple[str, str]] = frozenset(),
) -> bool:
    """After ``certificate`` (Portico's, as listed or rendered) was deleted: delete the TLS Secret it leaves, when it
    is provably its (module docstring). Returns whether a Secret was deleted. Never raises for the Secret: a
    Certificate's pruning has already happened and must not fail because of it."""
    meta = certificate.get("metadata") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    secret_name = (certificate.get("spec") or {}).get("secretName") or ""
    if cluster.is_directory or not (namespace and name and secret_name) or (namespace, secret_name) in wanted:
        return False
    where = f"{namespace}/{secret_name}"
    try:
        if not (may(target, "get", "secrets", namespace) and may(target, "delete", "secrets", namespace)):
            _left(cluster, route, where, name)
            return False
        secret = target.get(SECRET, secret_name, namespace)
        if secret is None:
            return False
        annotations = (secret.get("metadata") or {}).get("annotations") or {}
        if annotations.get(CERTIFICATE_NAME_ANNOTATION) != name:
            logger.info(
                "cluster=%s Secret %s is not Certificate %s's (cert-manager's annotation says %r); left",
                cluster.name,
                where,
                name,
                annotations.get(CERTIFICATE_NAME_ANNOTATION),
            )
            return False
        uid = (secret.get("metadata") or {}).get("uid")
        if not uid or not target.delete(SECRET, secret_name, namespace, uid=uid):
            return False  # gone, or replaced since it was read (the uid precondition): not the one judged
    except KubeError as exc:
        logger.warning("cluster=%s TLS Secret %s of the pruned Certificate not removed: %s", cluster.name, where, exc)
        return False
    record(
        None,
        "delete-tls-secret",
        route if route is not None else cluster,
        before={"secret": where, "certificate": f"{namespace}/{name}", "cluster": cluster.name},
        team=route.team if route is not None else None,
    )
    logger.info("cluster=%s deleted TLS Secret %s of the pruned Certificate %s", cluster.name, where, name)
    return True


def _left(cluster: Cluster, route: Route | None, where: str, certificate: str) -> None:
    message = (
        f"TLS Secret {where} left behind by the pruned Certificate {certificate}; grant {GRANT} or delete it "
        f"(kubectl delete secret -n {where.replace('/', ' ', 1)})."
    )
    record(
        None,
        "tls-secret-left",
        route if route is not None else cluster,
        before={"secret": where, "cluster": cluster.name, "message": message},
        team=route.team if route is not None else None,
    )
    logger.warning("cluster=%s %s", cluster.name, message)
