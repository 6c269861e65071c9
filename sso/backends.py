"""Authentication backends: the provider's authorization code (OIDCBackend) and local passwords, which
PORTICO_PASSWORD_LOGIN=0 limits to the PORTICO_BREAK_GLASS_USERS (PasswordBackend)."""

from __future__ import annotations

import logging
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import crypto
from core.access import with_platform_flag

from . import conf, mapping, provider
from .models import Identity

log = logging.getLogger(__name__)


class SessionUserBackend(ModelBackend):
    """ModelBackend whose session user comes with the platform-group answer (core.access.with_platform_flag):
    every page asks it (team isolation), and this saves the request a query."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = with_platform_flag(User._default_manager.all()).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class PasswordBackend(SessionUserBackend):
    """Django's password check, for everyone while PORTICO_PASSWORD_LOGIN is on, else for the break-glass
    accounts only. A user made by single sign-on has no usable password, so this never signs them in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not conf.password_login_allowed(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def _username_for(claims: dict) -> str:
    raw = claims.get(conf.username_claim()) or (claims.get("email") or "").split("@")[0] or claims["sub"]
    base = _USERNAME_UNSAFE.sub("-", str(raw))[:140] or "user"
    User = get_user_model()
    name, n = base, 1
    # A local account of the same name is never taken over: the provider's user gets a suffixed name instead.
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-sso{n if n > 2 else ''}"
    return name


class OIDCBackend(SessionUserBackend):
    """Signs in the provider's user for an authorization code (with the PKCE verifier and the nonce the
    callback view found for the state): the code is exchanged, the ID token verified (provider.verify_id_token),
    the user found by issuer + subject (never by e-mail, which another account could claim) or made, and their
    groups applied (sso.mapping)."""

    # Not ModelBackend's (request, username, password) signature, on purpose: this backend answers only the OIDC
    # callback's credentials; a password sign-in reaches it without a nonce and gets None (the line below).
    def authenticate(self, request, code_verifier=None, nonce=None, **kwargs):  # type: ignore[override]
        # mozilla-django-oidc's callback view calls authenticate(request, nonce=..., code_verifier=...) after it
        # has matched the state to this session and taken the state out of it (so it cannot be replayed).
        if request is None or nonce is None or not conf.enabled():
            return None
        code = request.GET.get("code")
        if not code:
            return None
        tokens = provider.token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": code_verifier,
                "redirect_uri": request.build_absolute_uri(reverse("sso:callback")),
            }
        )
        claims = provider.verify_id_token(tokens.get("id_token"), nonce=nonce)
        groups_claim = conf.groups_claim()
        if groups_claim not in claims:
            info = provider.userinfo(tokens.get("access_token", ""))
            if info.get("sub") == claims["sub"]:
                claims = {**info, **claims}
        user = self._link(claims, tokens.get("refresh_token", ""))
        if not self.user_can_authenticate(user):
            raise provider.TokenRejected("your Portico account is deactivated; ask a platform engineer")
        request.session["sso_id_token"] = tokens.get("id_token")
        return user

    @transaction.atomic
    def _link(self, claims: dict, refresh_token: str):
        User = get_user_model()
        identity = (
            Identity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=conf.issuer(), subject=claims["sub"])
            .first()
        )
        if identity is None:
            # No password given: create_user stores an unusable one.
            user = User.objects.create_user(_username_for(claims), email=claims.get("email") or "")
            identity = Identity(user=user, issuer=conf.issuer(), subject=claims["sub"])
        user = identity.user
        changed = []
        for field, value in (("email", claims.get("email") or ""), ("first_name", (claims.get("name") or "")[:150])):
            if value and getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        groups = groups_from(claims)
        now = timezone.now()
        identity.groups = groups
        identity.checked_at = identity.signed_in_at = now
        identity.refresh_token_encrypted = crypto.encrypt(refresh_token) if refresh_token else ""
        identity.save()
        grants = mapping.apply_groups(user, groups, reason="sign-in")
        if grants.nothing and not mapping.has_access(user):
            mapping.revoke_tokens(user, reason="sign-in: the provider's groups give no team or role")
        return user


def groups_from(claims: dict) -> list[str]:
    value = claims.get(conf.groups_claim()) or []
    if isinstance(value, str):
        value = [value]
    return sorted({str(g) for g in value if isinstance(g, (str, int))})
