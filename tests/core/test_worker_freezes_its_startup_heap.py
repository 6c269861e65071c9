"""A worker, once started, moves its start-up objects out of the garbage collector's sight (portico.celery), so the
collections a sync's short-lived objects trigger do not walk Django and the kubernetes client again."""

import gc

from celery import signals


def test_a_ready_worker_has_frozen_its_startup_heap():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        signals.worker_ready.send(sender=None)

        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
