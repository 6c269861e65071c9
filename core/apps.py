from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The bottom layer: audit trail, access rules, crypto, logging, health, metrics plumbing.

    Its label stays "portal", the app it was split from: the audit trail's table (portal_auditevent), its
    migration history (which also created the teams' and notifications' tables, now owned by those apps) and
    its admin pages keep their names, so an upgrade moves no rows."""

    name = "core"
    label = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Not limited to this app's signal: permissions of apps migrated later exist only after theirs.
        post_migrate.connect(grant_platform_permissions, dispatch_uid="core.grant_platform_permissions")
        # Celery signal handlers for task metrics and log context, connected in every process.
        from core import metrics  # noqa: F401


def grant_platform_permissions(sender: AppConfig, **kwargs: Any) -> None:
    """The `platform` group may manage everything Portico owns in the admin, but only view the audit trail; it may
    see and delete django-axes' sign-in lockouts (deleting one unlocks the account, docs/security.md)."""
    from django.contrib.auth.models import Group, Permission

    from core.access import PLATFORM_GROUP

    group, _ = Group.objects.get_or_create(name=PLATFORM_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label__in=["portal", "clusters", "teams", "routes", "notifications", "authtoken"]
    )
    perms = perms.exclude(content_type__model="auditevent", codename__regex=r"^(add|change|delete)_")
    lockouts = Permission.objects.filter(
        content_type__app_label="axes", codename__in=["view_accessattempt", "delete_accessattempt"]
    )
    group.permissions.set([*perms, *lockouts])
