"""A route's states as plain values: approval of a revision, sync with the cluster, traffic health.

Pure, so diagnostics and other domain code can name states without Django. ``routes.choices`` builds the
Django choices (labels and badge colours for the API, the pages and the admin) from these values.
"""

from __future__ import annotations

import enum


class Approval(enum.StrEnum):
    """A revision's approval. ``superseded``: a newer revision was made before this one was decided."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Sync(enum.StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


class Health(enum.StrEnum):
    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    MISSING = "Missing"
    UNKNOWN = "Unknown"
