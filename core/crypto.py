"""Encryption at rest for cluster credentials.

MultiFernet over PORTICO_ENCRYPTION_KEYS (newest first): the newest key encrypts, every key decrypts,
so a key can be rotated in without a flag day.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """The stored value cannot be decrypted with any configured key."""


def _fernet(key: str) -> Fernet:
    raw = key.encode()
    try:
        return Fernet(raw)
    except ValueError:
        # Accept any passphrase too: derive a Fernet key from it, so operators are not forced to
        # generate base64 by hand. Fernet-format keys are used as given.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


def _multi() -> MultiFernet:
    return MultiFernet([_fernet(key) for key in settings.PORTICO_ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    return _multi().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _multi().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The stored credentials cannot be decrypted with PORTICO_ENCRYPTION_KEYS.") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the newest key."""
    try:
        return _multi().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The stored credentials cannot be decrypted with PORTICO_ENCRYPTION_KEYS.") from exc
