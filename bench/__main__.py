"""`python -m bench [--quick] [--only SECTION ...]`: run the benchmarks, print the table, write results.md and
results.png. Starts and stops everything it needs (its database, the local kube-apiserver, gunicorn, a Celery
worker). The Kubernetes API emulator (tests/kube) is for fault injection in the tests only: every figure here is
measured on a real kube-apiserver and etcd."""

import argparse
import pickle
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

from . import env

SECTIONS = ("first", "noop", "drift", "scale", "worker", "web", "clusters")
# Sections 1-3, scale and 5 run against the local kube-apiserver (bench/local_server.py); web talks to no API server.
FULL = {
    "first": [200, 1000],
    "first_reps": 2,  # floor and sync measured in turns, the fastest of each kept (reconcile_bench.first_apply)
    "each": 200,  # the per-approval path is measured up to this N (it costs a list per route)
    "noop": [200, 1000, 10000],
    "reapply": 1000,  # re-applying every object, the no-op sync's comparison, is measured up to this N
    "drift": [1000],
    "scale": {"routes": 100, "sizes": [1000, 5000, 10000]},
    "web": (1000, 10000, 8.0),
    "approvals": 200,
    # Many clusters (bench/clusters_bench.py): one trimmed kube-apiserver each, ~230 MiB (bench/fleet.py); the issue's
    # 50 x 1,000 is `--clusters 50 --cluster-routes 1000`, a first apply of tens of minutes on 2 cores; 5 x 400 keeps
    # `make bench` in an hour.
    "clusters": {"clusters": 5, "routes": 400},
}
QUICK = {
    "first": [100],
    "first_reps": 1,
    "each": 100,
    "noop": [100, 300],
    "reapply": 300,
    "drift": [300],
    "scale": {"routes": 20, "sizes": [300, 1000]},
    "web": (300, 1000, 2.0),
    "approvals": 30,
    "clusters": {"clusters": 3, "routes": 100},
}


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and short load runs, for iterating")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="where results.md and results.png go (default: bench/)",
    )
    parser.add_argument(
        "--clusters", type=int, help=f"many clusters: how many API servers (default {FULL['clusters']['clusters']})"
    )
    parser.add_argument(
        "--cluster-routes",
        type=int,
        help=f"many clusters: routes on each cluster (default {FULL['clusters']['routes']})",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="also read the sections this run does not measure from this earlier run's results.pickle (written "
        "beside results.md by every run), so one report can hold sections measured at different times",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    env.ensure_services(argv)
    # A TERM (timeout, CI cancel) unwinds like Ctrl-C, so gunicorn and the worker are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    paths = env.configure()
    try:
        env.create_database()
        env.setup_django()
        return run(args, paths["scratch"], started)
    finally:
        shutil.rmtree(paths["scratch"], ignore_errors=True)


def run(args, scratch: Path, started: float) -> int:
    from portico.celery import freeze_startup_heap

    from . import clusters_bench, plot, reconcile_bench, report, scale_bench, seed, web_bench, worker_bench
    from .local_server import LocalServer

    sizes = QUICK if args.quick else FULL
    sections = args.only or SECTIONS
    results = {"quick": args.quick, "machine": report.machine(), "errors": {}}
    world = seed.make_world()
    # As a worker does once started (portico.celery.freeze_startup_heap): the syncs measured here run in this process.
    freeze_startup_heap()

    def section(name, fn):
        if name not in sections:
            return
        t = time.monotonic()
        print(f"[bench] {name} ...", flush=True)
        try:
            results[name] = fn()
        except Exception:  # noqa: BLE001 - any benchmark's failure is reported and the others still run
            results["errors"][name] = traceback.format_exc()
            print(results["errors"][name], file=sys.stderr, flush=True)
        print(f"[bench] {name} done in {time.monotonic() - t:.1f}s", flush=True)

    # First, while the database holds no other cluster: beat's round syncs every cluster there is, and the other
    # sections leave theirs behind (the web section's has 10,000 routes).
    fleet = {
        "clusters": args.clusters or sizes["clusters"]["clusters"],
        "routes": args.cluster_routes or sizes["clusters"]["routes"],
    }
    section("clusters", lambda: clusters_bench.run(world, scratch=scratch, **fleet))
    if set(sections) - {"web", "clusters"}:
        with LocalServer(scratch / "kube-apiserver") as kube:
            results["server"] = kube.describe()
            section(
                "first",
                lambda: [
                    reconcile_bench.first_apply(kube, world, n, each=n <= sizes["each"], reps=sizes["first_reps"])
                    for n in sizes["first"]
                ],
            )
            section(
                "noop",
                lambda: [
                    reconcile_bench.noop_sync(kube, world, n, reapply=n <= sizes["reapply"]) for n in sizes["noop"]
                ],
            )
            section("drift", lambda: [reconcile_bench.drift_repair(kube, world, n) for n in sizes["drift"]])
            section("worker", lambda: worker_bench.run(kube, world, approvals=sizes["approvals"], scratch=scratch))
            section("scale", lambda: scale_bench.run(kube, world, **sizes["scale"]))
    n_small, n_large, seconds = sizes["web"]
    section(
        "web",
        lambda: web_bench.run(
            world, seed.make_cluster(world, "web"), n_small=n_small, n_large=n_large, seconds=seconds, scratch=scratch
        ),
    )
    results["machine"]["load_after"] = report.loadavg()
    results["elapsed"] = time.monotonic() - started
    if args.keep:
        earlier = pickle.loads(args.keep.read_bytes())
        results["kept"] = {
            name: (earlier.get("kept") or {}).get(name, earlier["machine"])  # where it was measured, kept or not
            for name in SECTIONS
            if name in earlier and name not in results
        }
        results.update({name: earlier[name] for name in results["kept"]})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.pickle").write_bytes(pickle.dumps(results))
    text = report.render(results)
    print(text)
    (args.out / "results.md").write_text(text)
    plot.plot(results, args.out / "results.png")
    print(f"[bench] wrote {args.out / 'results.md'} and {args.out / 'results.png'} in {results['elapsed']:.0f}s")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
