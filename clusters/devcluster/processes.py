"""The child processes of one local component (etcd and kube-apiserver; Traefik and cert-manager's controller).

Each child runs in a session of its own with its output in ``<workdir>/<name>.log``, and is killed when the Python
thread that started it dies (PR_SET_PDEATHSIG), so a crashed or killed test run leaves nothing behind. Stopping
sends TERM to each child's process group, newest first, then KILL after 10 s.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def describe_exit(self) -> str:
        return f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}"

    def kill(self) -> None:
        _signal_group(self.popen, signal.SIGKILL)
        self.popen.wait(timeout=10)


class Processes:
    """The children started in ``workdir``, in start order. Only the process that made this object stops them:
    a forked child (a test worker, a Celery prefork child) inherits the object but not the children."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._started: list[Process] = []
        self._owner_pid = os.getpid()

    def __iter__(self) -> Iterator[Process]:
        return iter(self._started)

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        """Start ``argv`` logging to ``workdir/name.log``; ``env``: variables added to this process's environment."""
        log = self.workdir / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env={**os.environ, **env} if env else None,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        process = Process(name, popen, log)
        self._started.append(process)
        return process

    def named(self, name: str) -> Process | None:
        return next((process for process in self._started if process.name == name), None)

    def kill_last(self) -> None:
        """Kill the newest child at once and forget it (one that could not bind its ports, to start it again)."""
        self._started.pop().kill()

    def stop(self) -> None:
        """TERM each child's group, newest first, KILL after 10 s. Safe to call twice."""
        if os.getpid() != self._owner_pid:
            return
        for process in reversed(self._started):
            _signal_group(process.popen, signal.SIGTERM)
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self._started = []

    def running(self) -> bool:
        return bool(self._started) and not any(process.exited() for process in self._started)

    def failed(self) -> str | None:
        """The name and log tail of a child that exited, if one did."""
        return next((process.describe_exit() for process in self._started if process.exited()), None)

    def tails(self) -> str:
        return "\n".join(f"--- {process.name}\n{process.tail()}" for process in self._started)


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the starting thread dies, even by SIGKILL."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)
