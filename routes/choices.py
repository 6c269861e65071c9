"""Route states as Django choices: approval of a revision, sync with the cluster, and traffic health.

The values are ``routes.domain.status``'s (the pure domain names states there); this module adds the labels
and badge colours that the API, the pages and the admin show.
"""

from core.choices import ColoredChoices

from .domain.status import Approval, Health, Sync


class ApprovalChoices(ColoredChoices):
    """A revision's approval. ``superseded``: a newer revision was made before this one was decided, so it can
    no longer be (only the latest revision is reviewed)."""

    PENDING = Approval.PENDING.value, "Pending review"
    APPROVED = Approval.APPROVED.value, "Approved"
    REJECTED = Approval.REJECTED.value, "Rejected"
    SUPERSEDED = Approval.SUPERSEDED.value, "Superseded"

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {cls.PENDING: "yellow", cls.APPROVED: "green", cls.REJECTED: "red", cls.SUPERSEDED: "grey"}


# A route's approval is its latest revision's, which is never superseded.
ROUTE_APPROVAL_CHOICES = [
    (value, label) for value, label in ApprovalChoices.choices if value != ApprovalChoices.SUPERSEDED
]


class SyncChoices(ColoredChoices):
    SYNCED = Sync.SYNCED.value, "Synced"
    OUT_OF_SYNC = Sync.OUT_OF_SYNC.value, "Out of sync"
    UNKNOWN = Sync.UNKNOWN.value, "Unknown"

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {cls.SYNCED: "green", cls.OUT_OF_SYNC: "yellow", cls.UNKNOWN: "grey"}


class HealthChoices(ColoredChoices):
    HEALTHY = Health.HEALTHY.value, "Healthy"
    PROGRESSING = Health.PROGRESSING.value, "Progressing"
    DEGRADED = Health.DEGRADED.value, "Degraded"
    MISSING = Health.MISSING.value, "Missing"
    UNKNOWN = Health.UNKNOWN.value, "Unknown"

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {
            cls.HEALTHY: "green",
            cls.PROGRESSING: "blue",
            cls.DEGRADED: "red",
            cls.MISSING: "orange",
            cls.UNKNOWN: "grey",
        }


class PathTypeChoices(ColoredChoices):
    PREFIX = "Prefix", "Prefix (this path and everything under it)"
    EXACT = "Exact", "Exact (only this path)"


class ServiceTypeChoices(ColoredChoices):
    CLUSTER_IP = "ClusterIP", "ClusterIP: reachable inside the cluster; the Ingress exposes it"
    NODE_PORT = "NodePort", "NodePort: opens the same port on every node"
    LOAD_BALANCER = "LoadBalancer", "LoadBalancer: a cloud load balancer of its own, with its own cost and IP"


class TLSModeChoices(ColoredChoices):
    CERT_MANAGER = "cert-manager", "cert-manager issues and renews a certificate"
    SECRET = "secret", "An existing TLS Secret in the namespace"
    NONE = "none", "No TLS (plain HTTP)"
