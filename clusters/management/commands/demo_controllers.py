"""`make run`'s demo only: play the ingress controller and cert-manager on the live demo cluster until stopped."""

import signal
import threading
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from clusters.demo_controllers import DEFAULT_DELAY, DemoControllers


class Command(BaseCommand):
    help = (
        "Demo only: set Ingress addresses and mark Certificates Ready on the live demo cluster (which has no "
        "controllers), through the status subresource, until SIGTERM or Ctrl-C. See clusters/demo_controllers.py."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kubeconfig",
            required=True,
            type=Path,
            help="inline kubeconfig of an identity that may write status (the demo cluster's admin)",
        )
        parser.add_argument(
            "--delay", type=float, default=DEFAULT_DELAY, help="seconds between first seeing an object and acting on it"
        )

    def handle(self, *args, kubeconfig, delay, **options):
        try:
            config = yaml.safe_load(kubeconfig.read_text())
        except OSError as exc:
            raise CommandError(f"Cannot read {kubeconfig}: {exc.strerror}") from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controllers = DemoControllers(config, delay=delay)
        self.stdout.write(f"demo controllers: playing the ingress controller and cert-manager on {controllers.server}")
        try:
            controllers.run(stop)
        finally:
            controllers.close()
