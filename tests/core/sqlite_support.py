"""Django on a SQLite file in its own process, as make run serves it: for the few tests of what only SQLite does
(the rest of the suite runs on PostgreSQL)."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sqlite_env(var: Path, **extra: str) -> dict:
    """The environment of a Portico process on ``var``/portico.sqlite3, with its files under ``var``."""
    env = {
        **os.environ,
        "DEBUG": "1",
        "PORTICO_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/portico.sqlite3",
        "CELERY_BROKER_URL": "memory://",
        "PORTICO_LOG_FORMAT": "plain",
        **extra,
    }
    env.pop("CACHE_URL", None)
    return env


def manage_with(env: dict) -> Callable[..., str]:
    """``manage(*args)``: run manage.py in ``env``, assert it succeeded, return its output."""

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return manage
