"""What a sync reads on a big shared cluster: N of Portico's routes beside thousands of other teams' Services and
EndpointSlices, on the local kube-apiserver. Each measured sync runs in a process of its own (bench/sync_probe.py)
so its requests, bytes received and peak memory are its own; beside it, the same process listing what a sync
read before its lists were scoped (every Service, Ingress and EndpointSlice of the cluster), as the floor of
that old design's cost."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from . import env, reconcile_bench

FOREIGN_NAMESPACES = [f"other{i}" for i in range(20)]
SLICES_PER_SERVICE = 2


def _foreign_objects(i: int) -> list[tuple[str, dict]]:
    namespace = FOREIGN_NAMESPACES[i % len(FOREIGN_NAMESPACES)]
    name = f"svc{i}"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name, "team": "others"}},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    slices = [
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{name}-{j}",
                "namespace": namespace,
                "labels": {
                    "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
            },
            "addressType": "IPv4",
            "endpoints": [
                {"addresses": [f"10.{j}.{(i // 250) % 250}.{k + 1}"], "conditions": {"ready": True}} for k in range(5)
            ],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        }
        for j in range(SLICES_PER_SERVICE)
    ]
    return [
        (f"/api/v1/namespaces/{namespace}/services", service),
        *[(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices", s) for s in slices],
    ]


def populate(kube, start: int, stop: int) -> None:
    """Foreign Services start..stop-1, each with its EndpointSlices (five ready endpoints each), created as admin."""
    server = kube.server

    def create(i: int) -> None:
        for path, obj in _foreign_objects(i):
            server.request("POST", path, obj)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(create, range(start, stop)))


def probe(mode: str, cluster_id: int) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.sync_probe", mode, str(cluster_id)],
        cwd=env.ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"sync_probe {mode} failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def run(kube, world, *, routes: int, sizes: list[int]) -> dict:
    cluster, objects = reconcile_bench.steady_cluster(kube, world, f"scale-{routes}", routes)
    for namespace in FOREIGN_NAMESPACES:
        kube.kube.add_namespace(namespace)
    rows, done = [], 0
    for size in sizes:
        populate(kube, done, size)
        done = size
        rows.append(
            {
                "services": size,
                "slices": size * SLICES_PER_SERVICE,
                "sync": probe("sync", cluster.pk),
                "unscoped": probe("unscoped", cluster.pk),
            }
        )
    return {"routes": routes, "objects": len(objects), "rows": rows}
