"""The Celery app. Tasks live in each app's tasks.py; beat entries are built from settings."""

import gc
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portico.settings")

app = Celery("portico")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def setup_beat(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule = {
        "sync-all-clusters": {
            "task": "routes.tasks.sync_all_clusters",
            "schedule": float(settings.PORTICO_SYNC_INTERVAL),
            "options": {"expires": float(settings.PORTICO_SYNC_INTERVAL)},
        },
        "probe-all-clusters": {
            "task": "clusters.tasks.probe_all_clusters",
            "schedule": float(settings.PORTICO_PROBE_INTERVAL),
            "options": {"expires": float(settings.PORTICO_PROBE_INTERVAL)},
        },
        **(
            {
                "check-reachability": {
                    "task": "routes.tasks.check_all_reachability",
                    "schedule": float(settings.PORTICO_REACHABILITY_INTERVAL),
                    "options": {"expires": float(settings.PORTICO_REACHABILITY_INTERVAL)},
                }
            }
            if settings.PORTICO_REACHABILITY_INTERVAL > 0
            else {}
        ),
        "send-pending-notifications": {
            "task": "notifications.tasks.send_pending_notifications",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
    }


@signals.worker_ready.connect
def freeze_startup_heap(**kwargs) -> None:
    """Move everything the worker holds once started (Django, the task modules, the ``kubernetes`` client's
    hundreds of model classes) out of the garbage collector's sight. A sync allocates hundreds of thousands of
    short-lived objects (listed JSON), and each full collection it triggers would otherwise walk the whole
    start-up heap again: measured at a third of a no-op sync of 1,000 routes (bench/notes.md, "No-op sync").
    The objects are never collected, which they would not be anyway; the benchmarks call this too."""
    gc.collect()
    gc.freeze()


@signals.worker_shutdown.connect
def stop_watches(**kwargs) -> None:
    """Close the watches of quiet syncs (clusters.watches) before the process ends, rather than leave each API
    server to notice the connections gone."""
    from clusters import watches

    watches.disarm_all()
