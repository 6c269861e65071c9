"""A real identity provider on loopback for the tests and the demo: Dex (built from its Go module by
scripts/dex-bin.sh) in front of an OpenLDAP server (Debian's slapd) that holds the users and their groups.

Why LDAP behind Dex: Dex's static passwords carry no groups (storage.Password has email, hash, username and
user id only), and its mock connectors either skip the login page (mockCallback) or know one fixed user without
groups (mockPassword). The LDAP connector is the one that gives a real login page, real group membership and a
refresh that re-reads the groups, so removing someone from an LDAP group is seen by Portico at its next
re-check (docs/sso.md). Dex serves HTTPS with a certificate from a throw-away CA made here; Portico verifies it
through PORTICO_OIDC_CA_BUNDLE.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml
from cryptography.hazmat.primitives.serialization import Encoding

from clusters.devcluster.pki import make_ca, make_serving_cert, private_pem

REPO = Path(__file__).resolve().parent.parent
BASE_DN = "dc=portico,dc=test"
ADMIN_DN = f"cn=admin,{BASE_DN}"
CLIENT_ID = "portico"
OTHER_CLIENT_ID = "other-app"


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    groups: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.uid}@portico.test"

    @property
    def password(self) -> str:
        return f"pw-{self.uid}"


# The people of the tests and of the demo; the demo maps these groups (sso/demo.py, README "Single sign-on").
PEOPLE = (
    Person("alice", "Alice Shop", ("shop-devs",)),
    Person("bob", "Bob Blog", ("blog-writers",)),
    Person("carol", "Carol Marketing", ("marketing",)),
    Person("dave", "Dave Both", ("shop-devs", "blog-writers")),
    Person("pat", "Pat Platform", ("platform-engineers",)),
    Person("quinn", "Quinn Platform", ("platform-engineers", "shop-devs")),
)


def dex_binary() -> Path:
    """The Dex binary, building it first if this machine has none yet (scripts/dex-bin.sh)."""
    out = subprocess.run([str(REPO / "scripts" / "dex-bin.sh")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1]) / "dex"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s:\n{log.read_text()[-3000:]}")


def _make_ca_and_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    ca_key, ca = make_ca("Portico local identity provider CA", days=30)
    key, cert = make_serving_cert(ca_key, ca, common_name="127.0.0.1", days=30)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(Encoding.PEM))
    paths[2].write_bytes(private_pem(key))
    return paths


def _ldif(people) -> str:
    entries = [
        f"dn: {BASE_DN}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: Portico\ndc: portico\n",
        f"dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for p in people:
        entries.append(
            f"dn: uid={p.uid},ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: {p.uid}\n"
            f"cn: {p.name}\nsn: {p.name.split()[-1]}\nmail: {p.email}\nuserPassword: {p.password}\n"
        )
    groups = sorted({g for p in people for g in p.groups})
    for g in groups:
        members = "".join(f"member: uid={p.uid},ou=people,{BASE_DN}\n" for p in people if g in p.groups)
        entries.append(f"dn: cn={g},ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: {g}\n{members}")
    return "\n".join(entries)


@dataclass
class LocalIdP:
    """slapd and Dex running on loopback; ``stop()`` ends both and removes their folder."""

    redirect_uris: list[str]
    people: tuple[Person, ...] = PEOPLE
    client_secret: str = "portico-local-secret"
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="portico-idp-")))
    ldap_port: int = 0
    dex_port: int = 0
    ca_path: Path | None = None
    _procs: list = field(default_factory=list)
    _cert: Path | None = None
    _key: Path | None = None
    _admin_password: str = "ldap-admin-secret"

    @property
    def issuer(self) -> str:
        return f"https://127.0.0.1:{self.dex_port}/dex"

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    def settings(self) -> dict:
        """The Django settings that point Portico at this provider (what the PORTICO_OIDC_* variables set)."""
        return {
            "PORTICO_OIDC_ISSUER": self.issuer,
            "PORTICO_OIDC_CLIENT_ID": CLIENT_ID,
            "PORTICO_OIDC_CLIENT_SECRET": self.client_secret,
            "PORTICO_OIDC_CA_BUNDLE": str(self.ca_path),
        }

    def prepare(self) -> LocalIdP:
        """Pick the ports and make the CA and certificate, so ``settings()`` is known before anything runs."""
        if not self.dex_port:
            self.ldap_port, self.dex_port = free_port(), free_port()
            self.ca_path, self._cert, self._key = _make_ca_and_cert(self.folder)
        return self

    def start(self, binary: Path | None = None) -> LocalIdP:
        """Start slapd, then Dex (``binary``, else built or found by scripts/dex-bin.sh)."""
        self.prepare()
        try:
            self._start_slapd()
            self._start_dex(binary or dex_binary())
        except BaseException:
            self.stop()
            raise
        return self

    def _start_slapd(self) -> None:
        slapd = shutil.which("slapd") or "/usr/sbin/slapd"
        if not os.path.exists(slapd):
            raise RuntimeError("slapd is not installed: apt-get install slapd ldap-utils (make system-deps)")
        data = self.folder / "ldap-data"
        data.mkdir()
        conf = self.folder / "slapd.conf"
        conf.write_text(
            "\n".join(
                [
                    "include /etc/ldap/schema/core.schema",
                    "include /etc/ldap/schema/cosine.schema",
                    "include /etc/ldap/schema/inetorgperson.schema",
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    f"pidfile {self.folder / 'slapd.pid'}",
                    "database mdb",
                    f'suffix "{BASE_DN}"',
                    f'rootdn "{ADMIN_DN}"',
                    f"rootpw {self._admin_password}",
                    f"directory {data}",
                    "maxsize 10485760",
                    "index objectClass eq",
                    "",
                ]
            )
        )
        ldif = self.folder / "people.ldif"
        ldif.write_text(_ldif(self.people))
        subprocess.run(["slapadd", "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
        log = self.folder / "slapd.log"
        proc = subprocess.Popen(
            [slapd, "-d", "0", "-f", str(conf), "-h", self.ldap_url], stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        self._procs.append(proc)
        _wait_port(self.ldap_port, proc, "slapd", log)

    def _start_dex(self, binary: Path) -> None:
        cert, key = self._cert, self._key
        config = {
            "issuer": self.issuer,
            "storage": {"type": "memory"},
            "web": {"https": f"127.0.0.1:{self.dex_port}", "tlsCert": str(cert), "tlsKey": str(key)},
            "logger": {"level": "info"},
            "oauth2": {"skipApprovalScreen": True, "passwordConnector": "ldap"},
            "expiry": {"idTokens": "10m"},
            "connectors": [
                {
                    "type": "ldap",
                    "id": "ldap",
                    "name": "Portico test LDAP",
                    "config": {
                        "host": f"127.0.0.1:{self.ldap_port}",
                        "insecureNoSSL": True,
                        "bindDN": ADMIN_DN,
                        "bindPW": self._admin_password,
                        "usernamePrompt": "Username",
                        "userSearch": {
                            "baseDN": f"ou=people,{BASE_DN}",
                            "filter": "(objectClass=inetOrgPerson)",
                            "username": "uid",
                            "idAttr": "uid",
                            "emailAttr": "mail",
                            "nameAttr": "cn",
                            "preferredUsernameAttr": "uid",
                        },
                        "groupSearch": {
                            "baseDN": f"ou=groups,{BASE_DN}",
                            "filter": "(objectClass=groupOfNames)",
                            "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                            "nameAttr": "cn",
                        },
                    },
                }
            ],
            "staticClients": [
                {
                    "id": CLIENT_ID,
                    "name": "Portico",
                    "secret": self.client_secret,
                    "redirectURIs": list(self.redirect_uris),
                },
                # Another application of the same provider: its tokens must not sign anyone in to Portico.
                {
                    "id": OTHER_CLIENT_ID,
                    "name": "Another application",
                    "secret": "other-app-secret",
                    "redirectURIs": list(self.redirect_uris),
                },
            ],
        }
        conf = self.folder / "dex.yaml"
        conf.write_text(yaml.safe_dump(config))
        log = self.folder / "dex.log"
        proc = subprocess.Popen([str(binary), "serve", str(conf)], stdout=log.open("w"), stderr=subprocess.STDOUT)
        self._procs.append(proc)
        _wait_port(self.dex_port, proc, "dex", log)
        deadline = time.monotonic() + 20
        while True:  # listening is not serving yet: wait for the discovery document
            try:
                requests.get(
                    f"{self.issuer}/.well-known/openid-configuration", verify=str(self.ca_path), timeout=2
                ).raise_for_status()
                return
            except requests.RequestException as exc:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"dex is not serving:\n{log.read_text()[-3000:]}") from exc
                time.sleep(0.1)

    def set_groups(self, uid: str, groups: list[str]) -> None:
        """Make ``uid`` a member of exactly ``groups`` in the directory (existing groups only)."""
        user_dn = f"uid={uid},ou=people,{BASE_DN}"
        all_groups = sorted({g for p in self.people for g in p.groups})
        changes = []
        for g in all_groups:
            op = "add" if g in groups else "delete"
            changes.append(f"dn: cn={g},ou=groups,{BASE_DN}\nchangetype: modify\n{op}: member\nmember: {user_dn}\n")
        for change in changes:
            # Adding a member twice or removing one who is absent is refused by LDAP; both leave what we want.
            subprocess.run(
                ["ldapmodify", "-x", "-H", self.ldap_url, "-D", ADMIN_DN, "-w", self._admin_password, "-c"],
                input=change,
                text=True,
                capture_output=True,
                check=False,
            )

    def password_grant(
        self,
        person: Person,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str | None = None,
        scope: str = "openid email profile groups offline_access",
    ) -> dict:
        """Tokens for ``person`` straight from the token endpoint (Dex's password grant, through the same LDAP
        connector as the login page): for API tests and the command line."""
        secret = (
            client_secret
            if client_secret is not None
            else (self.client_secret if client_id == CLIENT_ID else "other-app-secret")
        )
        response = requests.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "password",
                "username": person.uid,
                "password": person.password,
                "scope": scope,
            },
            auth=(client_id, secret),
            verify=str(self.ca_path),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
