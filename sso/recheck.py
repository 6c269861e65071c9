"""The re-check: a signed-in provider user's groups are asked again once PORTICO_OIDC_RECHECK_SECONDS have passed
since the last answer, at their next request (browser session or API token), with the refresh token the
provider gave at sign-in. A user removed from a group loses the team at that request; a user left with no team
and no role loses their API tokens; a user the provider no longer knows (refresh refused) is signed out and
loses them too. While the provider cannot be reached, the last answer stands and the next request asks again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib import auth
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core import crypto

from . import conf, mapping, provider
from .backends import groups_from
from .models import Identity

log = logging.getLogger(__name__)

# FRESH: not due (or not a provider user), the provider was not asked; CHECKED / CHANGED: asked, groups
# the same / different; SIGNED_OUT: the provider refused; UNREACHABLE: it could not be asked.
FRESH, CHECKED, CHANGED, SIGNED_OUT, UNREACHABLE = "fresh", "checked", "changed", "signed-out", "unreachable"


def recheck(user, *, force: bool = False) -> str:
    """Re-check ``user``'s groups with the provider if they are due; what happened (a module constant).

    Most requests cost one indexed read. A due re-check runs outside any transaction (the provider may be
    slow), one at a time per user (a cache lock: parallel requests let the first one ask), and is applied only
    if no other process rotated the refresh token meanwhile."""
    if not conf.enabled() or not user.is_authenticated:
        return FRESH
    due = timezone.now() - timedelta(seconds=conf.recheck_seconds())
    row = Identity.objects.filter(user=user).values_list("checked_at", "refresh_token_encrypted").first()
    if row is None or (not force and row[0] and row[0] > due):
        return FRESH
    lock = f"sso-recheck-{user.pk}"
    if not cache.add(lock, 1, timeout=int(conf.timeout()) * 3 + 5):
        return FRESH
    try:
        return _recheck(user, row[1])
    finally:
        cache.delete(lock)


def _recheck(user, refresh_encrypted: str) -> str:
    refresh_token = crypto.decrypt(refresh_encrypted) if refresh_encrypted else ""
    refused: provider.TokenRejected | None
    try:
        if not refresh_token:
            raise provider.TokenRejected("no refresh token: the provider gave none at sign-in (offline_access)")
        tokens = provider.token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": conf.scopes()}
        )
        claims = provider.verify_id_token(tokens.get("id_token"), nonce=None)
    except provider.ProviderUnavailable as exc:
        log.warning("sso re-check of %s: provider unreachable, keeping the last answer: %s", user, exc)
        return UNREACHABLE
    except provider.TokenRejected as exc:
        refused = exc
    else:
        refused = None
    with transaction.atomic():
        identity = Identity.objects.select_for_update().get(user=user)
        if identity.refresh_token_encrypted != refresh_encrypted:
            return FRESH  # a sign-in or another process's re-check answered meanwhile
        if refused is None and claims["sub"] != identity.subject:
            refused = provider.TokenRejected("the refreshed ID token names another subject")
        if refused is not None:
            log.info("sso re-check of %s refused: %s; signing out", user, refused)
            identity.groups = []
            identity.refresh_token_encrypted = ""
            identity.checked_at = timezone.now()
            identity.save(update_fields=["groups", "refresh_token_encrypted", "checked_at"])
            mapping.apply_groups(user, [], reason=f"re-check refused: {refused}")
            mapping.revoke_tokens(user, reason=f"re-check refused: {refused}")
            return SIGNED_OUT
        groups = groups_from(claims)
        changed = groups != identity.groups
        identity.groups = groups
        identity.checked_at = timezone.now()
        if tokens.get("refresh_token"):  # providers that rotate refresh tokens (Dex does) send a new one
            identity.refresh_token_encrypted = crypto.encrypt(tokens["refresh_token"])
        identity.save(update_fields=["groups", "checked_at", "refresh_token_encrypted"])
        grants = mapping.apply_groups(user, groups, reason="re-check")
        if grants.nothing and not mapping.has_access(user):
            mapping.revoke_tokens(user, reason="re-check: the provider's groups give no team or role")
        return CHANGED if changed else CHECKED


class RecheckMiddleware:
    """Re-checks the signed-in browser user (after AuthenticationMiddleware); one whose provider refused is
    signed out before the view runs, so the request is answered as for anyone not signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and recheck(user) == SIGNED_OUT:
            auth.logout(request)
        return self.get_response(request)
