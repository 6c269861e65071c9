"""Who signed in through the provider (Identity) and which provider groups give which team or role
(GroupMapping, edited in the admin; PORTICO_OIDC_TEAM_GROUPS and PORTICO_OIDC_PLATFORM_GROUPS add more)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

TEAM_MODEL = "teams.Team"


class GroupMapping(models.Model):
    """Members of the provider group ``group`` are members of ``team``, or platform engineers."""

    group = models.CharField(max_length=255, help_text="The group's name as the provider sends it in the groups claim.")
    team = models.ForeignKey(
        TEAM_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sso_groups",
        help_text="Members of the group are members of this team.",
    )
    platform = models.BooleanField(
        "platform engineers", default=False, help_text="Members of the group are platform engineers."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "id"]
        verbose_name = "group mapping"
        constraints = [
            models.UniqueConstraint(fields=["group", "team"], name="unique_group_team"),
            models.UniqueConstraint(fields=["group"], condition=models.Q(platform=True), name="unique_group_platform"),
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, platform=False) | models.Q(team__isnull=True, platform=True),
                name="group_maps_to_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.group} -> {'platform engineers' if self.platform else f'team {self.team}'}"

    def clean(self):
        if bool(self.team_id) == bool(self.platform):
            raise ValidationError("Map the group either to a team or to the platform engineers, not both or neither.")


class Identity(models.Model):
    """The provider account (issuer + subject) a Portico user signs in with, the groups it last had, and the
    refresh token that lets Portico re-check them (encrypted like kubeconfigs, with PORTICO_ENCRYPTION_KEYS)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, blank=True)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    checked_at = models.DateTimeField(null=True, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="unique_issuer_subject")]

    def __str__(self):
        return f"{self.user} ({self.subject})"
