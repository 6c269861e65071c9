"""`make run`'s identity provider: the tests' Dex + OpenLDAP (sso/localidp.py) on loopback, so the login page
offers "Sign in with Dex" beside the demo passwords. Its ports and CA are fixed before the web process starts
(it gets the PORTICO_OIDC_* variables); Dex itself starts when scripts/dex-bin.sh has it, building it in the
background the first time on a machine. Until then "Sign in with Dex" answers the provider-unavailable page."""

from __future__ import annotations

import shutil
import threading

from .localidp import PEOPLE, LocalIdP, dex_binary

DEMO_GROUPS = {
    "PORTICO_OIDC_TEAM_GROUPS": "shop-devs=shop,blog-writers=blog",
    "PORTICO_OIDC_PLATFORM_GROUPS": "platform-engineers",
}


class DemoIdP:
    def __init__(self, addr: str):
        port = addr.rsplit(":", 1)[-1]
        self.idp = LocalIdP(
            redirect_uris=[
                f"http://{addr}/sso/callback/",
                f"http://localhost:{port}/sso/callback/",
                f"http://127.0.0.1:{port}/sso/callback/",
            ]
        ).prepare()
        self.error: str | None = None
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None

    def env(self) -> dict[str, str]:
        return {**self.idp.settings(), "PORTICO_OIDC_PROVIDER_NAME": "Dex", **DEMO_GROUPS}

    def start(self) -> None:
        if not shutil.which("slapd") and not shutil.which("/usr/sbin/slapd"):
            self.error = "slapd is not installed (apt-get install slapd ldap-utils): no 'Sign in with Dex' in the demo"
            return
        self._thread = threading.Thread(target=self._run, name="demo-idp", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.idp.start(dex_binary())
            self.ready.set()
        except Exception as exc:  # noqa: BLE001  (reported by runall; the password logins keep working)
            self.error = f"Dex did not start: {exc}"

    @staticmethod
    def logins() -> str:
        return ", ".join(f"{p.uid} / {p.password} ({', '.join(p.groups)})" for p in PEOPLE)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.idp.stop()
