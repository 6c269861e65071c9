"""The single sign-on settings (PORTICO_OIDC_*, PORTICO_PASSWORD_LOGIN, PORTICO_BREAK_GLASS_USERS), read at use so
tests can change them, and the names mozilla-django-oidc asks for mapped onto them."""

from django.conf import settings
from django.urls import reverse_lazy


def issuer() -> str:
    return (getattr(settings, "PORTICO_OIDC_ISSUER", "") or "").rstrip("/")


def enabled() -> bool:
    """Single sign-on is on when an issuer and a client id are configured."""
    return bool(issuer() and client_id())


def client_id() -> str:
    return getattr(settings, "PORTICO_OIDC_CLIENT_ID", "") or ""


def client_secret() -> str:
    return getattr(settings, "PORTICO_OIDC_CLIENT_SECRET", "") or ""


def scopes() -> str:
    return getattr(settings, "PORTICO_OIDC_SCOPES", "") or "openid email profile groups offline_access"


def groups_claim() -> str:
    return getattr(settings, "PORTICO_OIDC_GROUPS_CLAIM", "") or "groups"


def username_claim() -> str:
    return getattr(settings, "PORTICO_OIDC_USERNAME_CLAIM", "") or "preferred_username"


def provider_name() -> str:
    return getattr(settings, "PORTICO_OIDC_PROVIDER_NAME", "") or "single sign-on"


def verify():
    """What requests' ``verify`` takes: the CA bundle file when one is configured, else the system's CAs."""
    return getattr(settings, "PORTICO_OIDC_CA_BUNDLE", "") or True


def timeout() -> float:
    return float(getattr(settings, "PORTICO_OIDC_TIMEOUT", 10.0))


def recheck_seconds() -> int:
    return int(getattr(settings, "PORTICO_OIDC_RECHECK_SECONDS", 60))


def password_login() -> bool:
    return bool(getattr(settings, "PORTICO_PASSWORD_LOGIN", True))


def break_glass_users() -> list[str]:
    return list(getattr(settings, "PORTICO_BREAK_GLASS_USERS", []) or [])


def password_login_allowed(username: str | None) -> bool:
    """Local passwords are for everyone unless PORTICO_PASSWORD_LOGIN is off; then only for the named
    break-glass accounts."""
    return password_login() or (bool(username) and username in break_glass_users())


def team_groups() -> dict[str, list[str]]:
    """PORTICO_OIDC_TEAM_GROUPS: provider group -> team slugs, declared in configuration."""
    declared = getattr(settings, "PORTICO_OIDC_TEAM_GROUPS", {}) or {}
    out: dict[str, list[str]] = {}
    for group, slugs in declared.items():
        out[group] = [s for s in (slugs if isinstance(slugs, (list, tuple)) else str(slugs).split(";")) if s]
    return out


def platform_groups() -> list[str]:
    """PORTICO_OIDC_PLATFORM_GROUPS: provider groups whose members are platform engineers."""
    return list(getattr(settings, "PORTICO_OIDC_PLATFORM_GROUPS", []) or [])


# mozilla-django-oidc reads its settings by these names; Portico's views and backend answer them from the
# PORTICO_* settings above, so there is one set of names to configure.
_LIBRARY = {
    "OIDC_RP_CLIENT_ID": client_id,
    "OIDC_RP_CLIENT_SECRET": client_secret,
    "OIDC_RP_SCOPES": scopes,
    "OIDC_USE_PKCE": lambda: True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": lambda: "S256",
    "OIDC_USE_NONCE": lambda: True,
    "OIDC_VERIFY_SSL": verify,
    "OIDC_TIMEOUT": timeout,
    "OIDC_AUTHENTICATION_CALLBACK_URL": lambda: "sso:callback",
    "OIDC_REDIRECT_FIELD_NAME": lambda: "next",
    "OIDC_REDIRECT_ALLOWED_HOSTS": list,
    "LOGIN_REDIRECT_URL_FAILURE": lambda: reverse_lazy("sso:failed"),
    "OIDC_AUTH_REQUEST_EXTRA_PARAMS": dict,
}


def library_setting(attr, *default):
    if attr in _LIBRARY:
        return _LIBRARY[attr]()
    if default:
        return getattr(settings, attr, default[0])
    return getattr(settings, attr)
