"""Keys, certificates and tokens for the local API server, made with `cryptography` on first use.

A folder holds one set: a CA, the API server's serving certificate signed by it (for 127.0.0.1 and
localhost), the service-account signing key pair kube-apiserver requires, and the static bearer tokens of
its two identities. An existing set is reused, so `make dev-cluster` keeps the same CA and tokens across
restarts and a kubeconfig written once stays valid.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The identity deploy/target-rbac.yaml binds: the ServiceAccount portico-system/portico-reconciler. A static
# token may name any user; RBAC matches a ServiceAccount subject by exactly this user name, and its groups are
# the ones a real service-account token carries, so the file's ClusterRoleBinding applies as it would on a
# real cluster.
PORTICO_USER = "system:serviceaccount:portico-system:portico-reconciler"
PORTICO_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:portico-system")
ADMIN_USER = "portico-dev-admin"
ADMIN_GROUPS = ("system:masters",)


@dataclass(frozen=True)
class Pki:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def serving_cert(self) -> Path:
        return self.folder / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.folder / "apiserver.key"

    @property
    def sa_key(self) -> Path:
        return self.folder / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.folder / "sa.pub"

    @property
    def token_file(self) -> Path:
        return self.folder / "tokens.csv"

    @property
    def ca_pem(self) -> bytes:
        return self.ca_cert.read_bytes()

    def tokens(self) -> dict[str, str]:
        """User name -> bearer token, as kube-apiserver's --token-auth-file has them."""
        out = {}
        for line in self.token_file.read_text().splitlines():
            token, user = line.split(",")[:2]
            out[user] = token
        return out

    @property
    def admin_token(self) -> str:
        return self.tokens()[ADMIN_USER]

    @property
    def portico_token(self) -> str:
        return self.tokens()[PORTICO_USER]


def ensure_pki(folder: Path) -> Pki:
    """The set in ``folder``, made now if any part is missing."""
    pki = Pki(folder)
    parts = (pki.ca_cert, pki.serving_cert, pki.serving_key, pki.sa_key, pki.sa_pub, pki.token_file)
    if all(p.exists() for p in parts):
        return pki
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    ca_key, ca_cert = make_ca("portico-dev-cluster-ca", days=3650)
    key, serving = make_serving_cert(
        ca_key,
        ca_cert,
        common_name="kube-apiserver",
        dns_names=("localhost", "kubernetes", "kubernetes.default.svc"),
        days=3650,
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    _write(pki.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(pki.serving_cert, serving.public_bytes(serialization.Encoding.PEM))
    _write(pki.serving_key, private_pem(key))
    _write(pki.sa_key, private_pem(sa_key))
    _write(
        pki.sa_pub,
        sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )
    lines = [
        f'{secrets.token_urlsafe(32)},{ADMIN_USER},{ADMIN_USER},"{",".join(ADMIN_GROUPS)}"',
        f'{secrets.token_urlsafe(32)},{PORTICO_USER},portico-reconciler,"{",".join(PORTICO_GROUPS)}"',
    ]
    _write(pki.token_file, ("\n".join(lines) + "\n").encode())
    return pki


def make_ca(common_name: str, *, days: int) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new self-signed CA (P-256) that may sign server certificates only (path length 0)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


def make_serving_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    *,
    common_name: str,
    dns_names: tuple[str, ...] = ("localhost",),
    days: int,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A server certificate for 127.0.0.1 and ``dns_names``, signed by the CA."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _key_usage(*, key_cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )


def private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)
