"""Where `make run`'s live demo cluster stands, for the clusters page: a small JSON file under PORTICO_VAR_DIR.

`make run` (routes.live_demo.LiveDemo, in the runall process) writes it as the local kube-apiserver is built,
started and registered as cluster ``live``; the web process reads it to show a note on /clusters/. The file names
the process that wrote it, so a note left behind by a `make run` that was killed is not shown. Nothing here
outside `make run`: in production the file does not exist and the page shows no note.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

LIVE_CLUSTER = "live"  # the Cluster row `make run` registers (routes/management/commands/load_demo.py)

BUILDING = "building"
STARTING = "starting"
READY = "ready"
NO_GO = "no-go"
FAILED = "failed"

# The cold build measured on this project's 2-core machine (README, "A real Kubernetes API server").
TYPICAL_BUILD = "about 6 minutes on a 2-core machine"
GET_BINARIES = (
    "install Go 1.26 or newer (https://go.dev/doc/install) and run `make kube-bins`, or point "
    "PORTICO_KUBE_BIN_DIR at a folder holding kube-apiserver and etcd; then start `make run` again"
)


def status_path() -> Path:
    return Path(settings.VAR_DIR) / "live-cluster" / "status.json"


def write_status(state: str, message: str = "", *, pid: int | None = None) -> None:
    """Record the live cluster's state (one of the constants above), atomically."""
    path = status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"state": state, "message": message, "since": time.time(), "pid": pid or os.getpid()}))
    tmp.replace(path)


def clear_status() -> None:
    status_path().unlink(missing_ok=True)


@dataclass(frozen=True)
class LiveDemoNote:
    """What the clusters page says about the live demo cluster."""

    state: str
    text: str
    level: str  # "info" or "warn": the notice's colour


def read_note(now: float | None = None) -> LiveDemoNote | None:
    """The note for the clusters page, or None when no `make run` is telling its live cluster's story."""
    try:
        status = json.loads(status_path().read_text())
        state, since, pid = status["state"], float(status["since"]), int(status["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    elapsed = _duration((now or time.time()) - since)
    note = _note(state, status, elapsed)
    if note is not None and state != READY and _registered_before():
        # The row of an earlier run still points at that run's server, so its probe fails until this one is up.
        note = LiveDemoNote(
            state,
            f'{note.text} Cluster "{LIVE_CLUSTER}" below was registered by an earlier '
            "`make run`; its server is not running now, so its checks fail until it is up "
            "again.",
            note.level,
        )
    return note


def _registered_before() -> bool:
    from .models import Cluster

    return Cluster.objects.filter(name=LIVE_CLUSTER).exists()


def _note(state: str, status: dict, elapsed: str) -> LiveDemoNote | None:
    if state == BUILDING:
        return LiveDemoNote(
            state,
            (
                f"The live demo cluster is being built: kube-apiserver and etcd from their Go modules, for {elapsed} so "
                f'far (the first build takes {TYPICAL_BUILD}; later runs reuse it). Cluster "live" appears here when '
                "it is ready; `make run`'s log shows the build's progress."
            ),
            "info",
        )
    if state == STARTING:
        return LiveDemoNote(
            state,
            "The live demo cluster (a local kube-apiserver and etcd) is starting; cluster "
            '"live" appears here in a few seconds.',
            "info",
        )
    if state == READY:
        return LiveDemoNote(
            state,
            (
                'Cluster "live" is a real kube-apiserver with etcd on this machine, started by `make run`: Portico '
                "applies, lists and prunes there as deploy/target-rbac.yaml's least-privilege identity. No ingress "
                "controller or cert-manager runs on it: a demo process (`manage.py demo_controllers`) plays them, "
                "setting Ingress addresses and marking Certificates Ready a moment after Portico creates them. "
                "No traffic flows: the addresses are documentation addresses."
            ),
            "info",
        )
    if state == NO_GO:
        return LiveDemoNote(
            state,
            (
                "No live demo cluster: it needs kube-apiserver and etcd built from Go modules, and Go is not installed "
                f"here. To see one, {GET_BINARIES}."
            ),
            "warn",
        )
    if state == FAILED:
        return LiveDemoNote(
            state,
            f"The live demo cluster did not start: {status.get('message') or 'see the log'}. "
            "`make run`'s log has the details.",
            "warn",
        )
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"
