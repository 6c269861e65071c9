"""What a team can be told, and how a delivery went."""

from core.choices import ColoredChoices


class NotificationEventChoices(ColoredChoices):
    """What a team can be told about its routes (docs/notifications.md). ``test`` is the admin's "send test"."""

    SUBMITTED = "submitted", "Revision submitted for review"
    APPROVED = "approved", "Revision approved"
    REJECTED = "rejected", "Revision rejected"
    DEGRADED = "degraded", "Route degraded"
    HEALTHY = "healthy", "Route healthy again"
    # A team event: its revisions may now be approved with nobody reviewing them (docs/security.md, "Four eyes").
    AUTO_APPROVE = "auto_approve", "Auto-approval turned on for the team"
    TEST = "test", "Test notification"

    @classmethod
    def subscribable(cls) -> list[str]:
        return [c.value for c in cls if c is not cls.TEST]

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {
            cls.APPROVED: "green",
            cls.HEALTHY: "green",
            cls.REJECTED: "red",
            cls.DEGRADED: "red",
            cls.SUBMITTED: "yellow",
            cls.AUTO_APPROVE: "orange",
        }


class DeliveryStatusChoices(ColoredChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"

    @classmethod
    def _colors(cls) -> dict[str, str]:
        return {cls.PENDING: "yellow", cls.DELIVERED: "green", cls.FAILED: "red"}
