"""Start the web server, a Celery worker and beat together for `make run`; Ctrl-C stops all three."""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web (127.0.0.1:8000), worker and beat in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        for folder in ("data_folder_in", "control_folder", "processed_folder"):
            path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
            if path:
                os.makedirs(path, exist_ok=True)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2",
                       "--pool=threads"],
            "beat": [python, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO",
                     f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}"],
        }
        procs = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"\nPortico is running at http://{addr}/  (admin: http://{addr}/admin/)"))
        self.stdout.write("Log in as platform / platform-demo or dev / dev-demo. Ctrl-C stops everything.\n")
        try:
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            failed = [name for name, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(failed)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
