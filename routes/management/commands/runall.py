"""Start the web server, a Celery worker and beat together for `make run`, and the live demo cluster beside them
(routes/live_demo/: started at once when kube-apiserver and etcd are built, else built in the background);
Ctrl-C stops everything."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from routes.live_demo import LiveDemo
from routes.live_demo.workloads import live_demo_reachability
from sso.demo import DemoIdP


class Command(BaseCommand):
    help = "Run web (127.0.0.1:8000), worker, beat and the live demo cluster in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-live-cluster",
            action="store_true",
            help='do not start (or build) the live demo cluster; cluster "local" only',
        )

    def handle(self, *args, addr, no_live_cluster=False, **options):
        _make_broker_folders()
        _point_reachability_at_the_live_demo(no_live_cluster)
        # "Sign in with Dex" beside the demo passwords, unless a real provider is configured (docs/sso.md).
        idp = None if os.environ.get("PORTICO_OIDC_ISSUER") else DemoIdP(addr)
        env = {**os.environ, **(idp.env() if idp else {})}
        if idp is not None:
            idp.start()
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in _commands(addr).items()}
        live = None if no_live_cluster else LiveDemo()
        if live is not None:
            live.start()
        self._greet(addr, idp)
        # SIGTERM (e.g. from a supervisor or a test) stops everything in order, like Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            self._watch(procs, live, idp)
        except KeyboardInterrupt:
            pass
        finally:
            if live is not None:
                live.stop()
            if idp is not None:
                idp.stop()
            _stop(procs)

    def _greet(self, addr: str, idp: DemoIdP | None) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nPortico is running at http://{addr}/  (admin: http://{addr}/admin/)"))
        self.stdout.write("Log in as platform / platform-demo or dev / dev-demo. Ctrl-C stops everything.\n")
        if idp is not None and idp.error is None:
            self.stdout.write(f"Or 'Sign in with Dex' (built on first use, see README): {idp.logins()}\n")

    def _watch(self, procs: dict[str, subprocess.Popen], live: LiveDemo | None, idp: DemoIdP | None) -> None:
        """Until web, worker or beat stops: report, once each, a live cluster or Dex that failed beside them."""
        reported: set[str] = set()
        while all(p.poll() is None for p in procs.values()):
            problems = {
                "live cluster": live.failed_process() if live is not None else None,
                "sign in with Dex": idp.error if idp is not None else None,
            }
            for what, problem in problems.items():
                if problem and what not in reported:
                    self.stderr.write(f"{what}: {problem}")
                    reported.add(what)
            time.sleep(0.5)
        failed = [name for name, p in procs.items() if p.poll() is not None]
        self.stderr.write(f"{', '.join(failed)} stopped; stopping the rest.")


def _make_broker_folders() -> None:
    """The file broker's folders must exist before the worker, beat or the web process use it."""
    for folder in ("data_folder_in", "control_folder", "processed_folder"):
        path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
        if path:
            os.makedirs(str(path), exist_ok=True)


def _commands(addr: str) -> dict[str, list[str]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "portico"]
    return {
        "web": [python, "manage.py", "runserver", addr, "--noreload"],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--pool=threads"],
        "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}"],
    }


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    """TERM every process still running, then KILL what has not stopped 10 s later."""
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def _point_reachability_at_the_live_demo(no_live_cluster: bool) -> None:
    """The worker's reachability check looks at the live demo's routes as a client would: the demo host resolves to
    Traefik on loopback, HTTPS on the demo port, the local CA trusted (docs/reachability.md). Set before the worker
    starts; a setting already in the environment wins."""
    if no_live_cluster:
        return
    for name, value in live_demo_reachability().items():
        os.environ.setdefault(name, value)


def _interrupt(*_):
    raise KeyboardInterrupt
