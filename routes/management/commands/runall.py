"""Start the web server, a Celery worker and beat together for `make run`, and the live demo cluster beside them
(routes/live_demo.py: started at once when kube-apiserver and etcd are built, else built in the background);
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

    def handle(self, *args, addr, no_live_cluster=False, **options):  # noqa: C901 - starts and watches each process in turn
        for folder in ("data_folder_in", "control_folder", "processed_folder"):
            path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
            if path:
                os.makedirs(str(path), exist_ok=True)
        python = sys.executable
        _point_reachability_at_the_live_demo(no_live_cluster)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "portico",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--pool=threads",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "portico",
                "beat",
                "--loglevel=INFO",
                f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
            ],
        }
        # "Sign in with Dex" beside the demo passwords, unless a real provider is configured (docs/sso.md).
        idp = None if os.environ.get("PORTICO_OIDC_ISSUER") else DemoIdP(addr)
        env = {**os.environ, **(idp.env() if idp else {})}
        if idp is not None:
            idp.start()
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        live = None if no_live_cluster else LiveDemo()
        if live is not None:
            live.start()
        self.stdout.write(self.style.SUCCESS(f"\nPortico is running at http://{addr}/  (admin: http://{addr}/admin/)"))
        self.stdout.write("Log in as platform / platform-demo or dev / dev-demo. Ctrl-C stops everything.\n")
        if idp is not None and idp.error is None:
            self.stdout.write(f"Or 'Sign in with Dex' (built on first use, see README): {idp.logins()}\n")
        # SIGTERM (e.g. from a supervisor or a test) stops everything in order, like Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        reported = idp_reported = False
        try:
            while all(p.poll() is None for p in procs.values()):
                live_failure = live.failed_process() if live is not None else None
                if live_failure and not reported:
                    self.stderr.write(f"live cluster: {live_failure}")
                    reported = True
                if idp is not None and idp.error and not idp_reported:
                    self.stderr.write(f"sign in with Dex: {idp.error}")
                    idp_reported = True
                time.sleep(0.5)
            failed = [name for name, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(failed)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            if live is not None:
                live.stop()
            if idp is not None:
                idp.stop()
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
