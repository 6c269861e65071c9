"""One measured sync in a process of its own, so its peak memory is its own: `python -m bench.sync_probe MODE ID`.

Prints one JSON line: requests sent, bytes received (response bodies), seconds, the process's resident memory
before the sync (Django and the client loaded) and its peak (VmHWM) after. MODE ``sync`` runs
``sync_cluster(ID)``; ``unscoped`` lists what a sync read before it was scoped (every Service, Ingress and
EndpointSlice of the cluster, and Portico's Certificates) and holds it, as that sync did.
"""

import json
import sys
import threading
import time
from pathlib import Path


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from clusters.kube import CERTIFICATE, ENDPOINT_SLICE, INGRESS, SERVICE, KubeClient
    from clusters.models import Cluster
    from routes import reconcile
    from routes.domain import render

    mode, cluster_id = argv[0], int(argv[1])
    counts = {"requests": 0, "bytes": 0}
    lock = threading.Lock()  # a sync sends its lists from several threads (routes.reconcile.fanout)
    original = KubeClient.request

    def answered(call_api):
        def read(*args, **kw):
            response = call_api(*args, **kw)
            response.read()  # what KubeClient.request does next; read() keeps the body for it
            with lock:
                counts["bytes"] += len(response.data or b"")
            return response

        read.counting = True  # type: ignore[attr-defined]
        return read

    def counted(self, method, path, **kwargs):
        with lock:
            if not getattr(self.api.call_api, "counting", False):
                self.api.call_api = answered(self.api.call_api)
            counts["requests"] += 1
        return original(self, method, path, **kwargs)

    KubeClient.request = counted
    cluster = Cluster.objects.get(pk=cluster_id)
    rss_before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (the peak) to the current resident size
    started = time.perf_counter()
    held = None
    if mode == "sync":
        report = reconcile.sync_cluster(cluster_id)
        errors = report.errors[:3]
    else:
        with KubeClient.for_cluster(cluster) as client:
            held = [
                client.list(SERVICE),
                client.list(INGRESS),
                client.list(CERTIFICATE, label_selector=render.MANAGED_SELECTOR),
                client.list(ENDPOINT_SLICE),
            ]
        errors = []
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    print(
        json.dumps(
            {
                **counts,
                "seconds": seconds,
                "rss_before_kib": rss_before,
                "rss_peak_kib": peak,
                "held": sum(len(x) for x in held) if held else 0,
                "errors": errors,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
