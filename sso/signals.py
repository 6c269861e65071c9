"""Who signed in and out, and how: an audit event for each (the audit trail had none before single sign-on)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from core import audit
from core.signin import client_address


def _method(user) -> str:
    backend = getattr(user, "backend", "") or ""
    return "sso" if backend.endswith("OIDCBackend") else "password"


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    audit.record(user, "sign_in", user, after={"method": _method(user), "address": client_address(request)})


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        audit.record(user, "sign_out", user, after={"address": client_address(request)})
