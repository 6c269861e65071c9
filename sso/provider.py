"""Talking to the OpenID Connect provider: its discovery document, its signing keys, the token endpoint, and
the ID token check (signature against the provider's JWKS, issuer, audience, expiry, nonce).

mozilla-django-oidc's own check verifies the signature and expiry but not the audience or the issuer
(``_verify_jws`` passes ``verify_aud: False``): a token the same provider issued to another application would
pass it. ``verify_id_token`` here checks both, and is the only check Portico uses.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import jwt
import requests
from django.utils.crypto import constant_time_compare

from . import conf

log = logging.getLogger(__name__)

# Asymmetric algorithms only: "none" and the HMAC ones (keyed with the client secret) are never accepted.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA")
LEEWAY_SECONDS = 30
_METADATA_TTL = 3600
_cache: dict = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense; the user sees a page saying so (503)."""


class TokenRejected(Exception):
    """An ID token or a token response that fails a check; the user sees why sign-in failed (400)."""


def reset_cache() -> None:
    with _lock:
        _cache.clear()


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, verify=conf.verify(), timeout=conf.timeout())
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc.__class__.__name__}") from exc


def metadata() -> dict:
    """The provider's discovery document (cached for an hour); its issuer must be the configured one."""
    issuer = conf.issuer()
    now = time.monotonic()
    with _lock:
        cached = _cache.get(("metadata", issuer))
    if cached and now - cached[0] < _METADATA_TTL:
        return cached[1]
    doc = _get_json(f"{issuer}/.well-known/openid-configuration")
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise ProviderUnavailable(f"the discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    with _lock:
        _cache[("metadata", issuer)] = (now, doc)
    return doc


def _jwks(force: bool = False) -> dict:
    uri = metadata()["jwks_uri"]
    with _lock:
        cached = _cache.get(("jwks", uri))
    if cached and not force:
        return cached
    keys = _get_json(uri)
    with _lock:
        _cache[("jwks", uri)] = keys
    return keys


def _signing_key(token: str):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"the ID token is not a JWT ({exc})") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS:
        raise TokenRejected(f"the ID token is signed with {alg!r}, which Portico does not accept")
    for attempt in (False, True):  # an unknown key id refetches the keys once: the provider may have rotated them
        for jwk in _jwks(force=attempt).get("keys", []):
            if kid is not None and jwk.get("kid") != kid:
                continue
            if jwk.get("alg") not in (None, alg) or jwk.get("use") not in (None, "sig"):
                continue
            try:
                return jwt.PyJWK(jwk, algorithm=alg).key, alg
            except jwt.PyJWTError:
                continue
    raise TokenRejected("the ID token is not signed by any of the provider's keys")


def verify_id_token(token: str | None, *, nonce: str | None) -> dict:
    """The ID token's claims once every check passes: signature by one of the provider's keys, issuer, audience
    (this client), expiry and issue time (30 s leeway), and the nonce of this sign-in when one was sent."""
    if not token:
        raise TokenRejected("the provider sent no ID token")
    key, alg = _signing_key(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=conf.client_id(),
            issuer=conf.issuer(),
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected("the ID token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRejected("the ID token was issued for another application (audience)") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRejected("the ID token was issued by another provider (issuer)") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenRejected("the ID token's signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected(f"the ID token is invalid ({exc})") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != conf.client_id():
        raise TokenRejected("the ID token names several audiences and is not authorized for this application")
    if nonce is not None and not constant_time_compare(str(claims.get("nonce", "")), nonce):
        raise TokenRejected("the ID token does not answer this sign-in (nonce)")
    return claims


def token_request(data: dict) -> dict:
    """POST to the token endpoint with the client's credentials; the JSON answer, or an exception saying
    whether the provider refused (``TokenRejected``, with the OAuth error) or could not be reached."""
    endpoint = metadata()["token_endpoint"]
    try:
        response = requests.post(
            endpoint,
            data=data,
            auth=(conf.client_id(), conf.client_secret()),
            verify=conf.verify(),
            timeout=conf.timeout(),
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{endpoint}: {exc.__class__.__name__}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 200 and isinstance(body, dict):
        return body
    if 400 <= response.status_code < 500 and isinstance(body, dict) and body.get("error"):
        raise TokenRejected(f"the provider refused: {body.get('error')}")
    raise ProviderUnavailable(f"{endpoint} answered {response.status_code}")


def userinfo(access_token: str) -> dict:
    endpoint = metadata().get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    try:
        response = requests.get(
            endpoint, headers={"Authorization": f"Bearer {access_token}"}, verify=conf.verify(), timeout=conf.timeout()
        )
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError, json.JSONDecodeError) as exc:
        raise ProviderUnavailable(f"{endpoint}: {exc.__class__.__name__}") from exc
