"""The certificate a host serves, described for the reachability check (routes.reachability): fetched without
verification so Portico can say what is wrong with it (names, issuer, expiry), never to trust it."""

from __future__ import annotations

import datetime
import socket
import ssl

from cryptography import x509
from cryptography.x509.oid import NameOID


def served_certificate(address: str, port: int, host: str, timeout: float) -> bytes | None:
    """The leaf certificate ``address`` serves for ``host``, unverified: to say what is wrong with it."""
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            ssl._create_unverified_context().wrap_socket(sock, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


def describe(der: bytes | None) -> dict:
    if not der:
        return {}
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    except x509.ExtensionNotFound:
        names = []
    issuer = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    not_after = cert.not_valid_after_utc
    return {
        "names": list(names),
        "issuer": issuer[0].value if issuer else "",
        "not_after": not_after.isoformat(),
        "days_left": (not_after - datetime.datetime.now(datetime.UTC)).days,
    }


def verify_failure(host: str, exc: ssl.SSLCertVerificationError, cert: dict) -> str:
    names = ", ".join(cert.get("names") or []) or "no names"
    issuer = cert.get("issuer") or "an unnamed issuer"
    code = getattr(exc, "verify_code", None)
    if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
        return f"The certificate served for {host} expired on {cert.get('not_after', '?')[:10]}. Renew it."
    if code == 62 or "Hostname mismatch" in str(exc):  # X509_V_ERR_HOSTNAME_MISMATCH
        return (
            f"The certificate served for {host} is for {names} (issued by {issuer}), not for {host}: the "
            "ingress controller has no certificate for this host and serves its default one. Check that the "
            "TLS Secret exists and holds a certificate for the host."
        )
    return (
        f"The certificate served for {host} (for {names}, issued by {issuer}) is not trusted: "
        f"{exc.verify_message or exc.reason or exc}. The ingress controller may be serving its default certificate "
        "because the TLS Secret is missing."
    )
