"""The results table (printed and written to results.md), the machine it ran on, and the plot."""

import contextlib
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from . import env, web_bench

NOTES = Path(__file__).resolve().parent / "notes.md"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict:
    from django.db import connection

    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    try:
        redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    except (OSError, IndexError):
        redis = "?"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram": mem,
        "python": platform.python_version(),
        "postgresql": pg,
        "redis": redis.removeprefix("v="),
        "kernel": platform.release(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": loadavg(),
    }


def _ok(flag) -> str:
    return "**met**" if flag else "**not met**"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _verbs(run) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(run.by_verb.items()))


def _reconcile_targets(results: dict, where: str) -> list[tuple[str, str, bool | None]]:
    rows = []
    for r in results.get("first") or []:
        ratio = r["sync"].seconds / r["floor"].seconds
        rows.append(
            (
                f"1. First apply N={r['n']}{where}: Portico (cluster sync) <= 1.3x floor time",
                f"{ratio:.1f}x ({_ms(r['sync'].seconds)} vs {_ms(r['floor'].seconds)})",
                ratio <= 1.3,
            )
        )
    noop = {r["n"]: r for r in results.get("noop") or []}
    if noop:
        flat = all(r["sync"].writes == 0 and r["sync"].extra["lists_per_kind"] <= 1 for r in noop.values())
        rows.append(
            (
                f"2. No-op sync{where}: at most one list per kind, no writes (every N)",
                "; ".join(
                    f"N={n}: {r['sync'].extra['kinds_listed']} kinds x {r['sync'].extra['lists_per_kind']} "
                    f"list, {r['sync'].writes} writes"
                    for n, r in noop.items()
                ),
                flat,
            )
        )
        ref = noop.get(1000) or noop[max(noop)]
        speedup = ref["reapply"].seconds / ref["sync"].seconds
        rows.append(
            (
                f"2. No-op sync{where} >= 50x faster than re-applying, N={ref['n']}",
                f"{speedup:.1f}x ({_ms(ref['sync'].seconds)} vs {_ms(ref['reapply'].seconds)})",
                speedup >= 50,
            )
        )
    for r in results.get("drift") or []:
        rows.append(
            (
                f"3. Drift repair N={r['n']}{where}: every drifted object repaired, writes = drifted objects",
                f"{r['repaired']}/{r['drifted']} repaired, {r['sync'].writes} writes, {_ms(r['sync'].seconds)}",
                r["repaired"] == r["drifted"] and r["sync"].writes == r["drifted"],
            )
        )
    return rows


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    rows = _reconcile_targets(results, "")
    if results.get("real"):
        rows += _reconcile_targets(results["real"], " (kube-apiserver)")
    web = results.get("web")
    if web:
        lat = web["latency"]
        for label, _, _, floor in web["endpoints"]:
            if floor is None:
                continue
            ok = web["statuses"][label] == 200 and lat[label]["errors"] == 0
            ratio = lat[label]["p95"] / lat[floor]["p95"]
            rows.append(
                (
                    f"4. {label}: p95 <= 2x floor ({floor})",
                    f"{ratio:.1f}x ({lat[label]['p95']:.1f} vs {lat[floor]['p95']:.1f} ms)"
                    + ("" if ok else f", HTTP {web['statuses'][label]}"),
                    ok and ratio <= 2,
                )
            )
            small, large = web["queries_small"][label]["queries"], web["queries_large"][label]["queries"]
            rows.append(
                (
                    f"4. {label}: SQL queries constant in N",
                    f"{small} at {web['n_small']:,}, {large} at {web['n_large']:,}",
                    small == large,
                )
            )
    worker = results.get("worker")
    if worker:
        rows.append(("5. Approve -> applied p50 <= 300 ms", f"{worker['p50']:.0f} ms", worker["p50"] <= 300))
        rows.append(("5. Approve -> applied p95 <= 1 s", f"{worker['p95']:.0f} ms", worker["p95"] <= 1000))
    return rows


def _reconcile_tables(results: dict, where: str) -> list[str]:
    out = []
    if results.get("first"):
        out += [
            "",
            f"{'###' if where else '##'} 1. First apply{where}",
            "",
            (
                "N approved routes never applied (2 routes per host sharing a Certificate; 1 in 3 with a managed "
                "Service). *Floor*: a plain loop of server-side apply PATCHes of the same rendered manifests with "
                "the same client. *Portico, cluster sync*: one `sync_cluster` (what beat does). *Portico, per "
                "approval*: `reconcile_route` once per route (what the worker does after each approval)."
            ),
            "",
            "| N | objects | floor | Portico, cluster sync | Portico, per approval |",
            "| ---: | ---: | --- | --- | --- |",
        ]
        for r in results["first"]:
            cells = [f"{_ms(x.seconds)}, {x.requests} req ({_verbs(x)})" for x in (r["floor"], r["sync"], r["each"])]
            out.append(f"| {r['n']:,} | {r['objects']:,} | " + " | ".join(cells) + " |")
    if results.get("noop"):
        out += [
            "",
            f"{'###' if where else '##'} 2. No-op sync{where}",
            "",
            (
                "Everything already applied and settled (one sync run before measuring). *Re-apply*: the floor loop "
                "PATCHing every object again. Lists are paginated at 500 items, so a list of more than 500 objects "
                "takes several requests (pages), still one list."
            ),
            "",
            "| N | objects | re-apply every object | no-op sync | lists (kinds x per kind) | speed-up |",
            "| ---: | ---: | --- | --- | --- | ---: |",
        ]
        for r in results["noop"]:
            s = r["sync"]
            out.append(
                f"| {r['n']:,} | {r['objects']:,} | {_ms(r['reapply'].seconds)}, {r['reapply'].requests} req | "
                f"{_ms(s.seconds)}, {s.requests} req ({_verbs(s)}), {s.writes} writes | "
                f"{s.extra['kinds_listed']} x {s.extra['lists_per_kind']} | "
                f"{r['reapply'].seconds / s.seconds:.1f}x |"
            )
    if results.get("drift"):
        out += [
            "",
            f"{'###' if where else '##'} 3. Drift repair{where}",
            "",
            (
                "1% of the objects changed out of band (Ingress class, Service selector or a label on a Certificate), "
                "then one sync. *Floor*: PATCHing exactly the drifted objects (the least any repair can do)."
            ),
            "",
            "| N | objects | drifted | floor | sync | repaired |",
            "| ---: | ---: | ---: | --- | --- | ---: |",
        ]
        for r in results["drift"]:
            out.append(
                f"| {r['n']:,} | {r['objects']:,} | {r['drifted']} | {_ms(r['floor'].seconds)}, "
                f"{r['floor'].requests} req | {_ms(r['sync'].seconds)}, {r['sync'].requests} req "
                f"({_verbs(r['sync'])}) | {r['repaired']}/{r['drifted']} |"
            )
    return out


def render(results: dict) -> str:
    m = results["machine"]
    out = ["# Portico benchmarks (`make bench`)", ""]
    if results["quick"]:
        out += ["**Quick run** (`--quick`): small sizes, short load runs. Not the committed figures.", ""]
    out += [
        (
            f"Run {m['date']} in {results.get('elapsed', 0):.0f} s. Machine: {m['cores']} cores ({m['cpu']}), {m['ram']} RAM, "
            f"Linux {m['kernel']}, Python {m['python']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}. "
            f"Load average before/after: {m['load_before']} / {m.get('load_after', '?')}."
        ),
        "",
        (
            f"Everything on loopback. The per-cluster client rate limit is raised for the benchmarks "
            f"(`PORTICO_KUBE_QPS={env.KUBE_QPS}`, `PORTICO_KUBE_BURST={env.KUBE_BURST}`; production default 20/s, "
            "burst 40), so the figures are Portico's own cost, not its politeness. Which API server: sections 1-3 "
            "and 5 use the project's kmock-based emulator (tests/kube) served from a thread of the benchmark process, "
            "so its CPU time competes with the client's for the GIL in both Portico's runs and the floors; section "
            '"1-3 on a real kube-apiserver" (rows marked *(kube-apiserver)* below) repeats 1-3 against the local '
            "kube-apiserver and etcd in processes of their own. Section 4 talks to no API server."
        ),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    out += [f"| {t} | {v} | {_ok(ok)} |" for t, v, ok in targets(results)]
    for name, error in results["errors"].items():
        out += ["", f"**Section `{name}` failed:**", "", "```", error.strip()[-3000:], "```"]

    out += _reconcile_tables(results, "")
    real = results.get("real")
    if real:
        out += [
            "",
            "## 1-3 on a real kube-apiserver",
            "",
            (
                f"The same three benchmarks against the local API server of the tests and `make run` "
                f"(clusters/devcluster; {real['server']}): its own processes, so it shares no GIL with the client "
                "(only the 2 cores); TLS, RBAC authorization (Portico as deploy/target-rbac.yaml's least-privilege "
                "identity), the default admission plugins, CRD validation, server-side apply with managedFields, "
                "etcd with `--unsafe-no-fsync` (a production etcd also waits for its disk). The floors are measured "
                "on the same server. No controllers run: statuses stay empty, so routes are judged Progressing, "
                "which costs Portico the same evaluation as any other state."
            ),
        ]
        out += _reconcile_tables(real, " (kube-apiserver)")
    web = results.get("web")
    if web:
        first = next(iter(web["latency"].values()))
        out += [
            "",
            "## 4. Web and API",
            "",
            (
                f"{web['n_large']:,} routes in PostgreSQL, gunicorn with 2 sync workers, load from {first['tool']} with "
                f"{web_bench.CONCURRENCY} connections for {web['seconds']:.0f} s per endpoint (after a warm-up), "
                "logged in as a platform engineer (sees every route). *Floors* (bench/views.py, mounted only by "
                "bench/urls.py): the same page of 50 rows (and its count) with `values()` as JSON, and one row."
            ),
            "",
            f"| endpoint | HTTP | p50 | p95 | req/s | SQL queries at {web['n_small']:,} | at {web['n_large']:,} |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, *_ in web["endpoints"]:
            lat = web["latency"][label]
            out.append(
                f"| {label} | {web['statuses'][label]} | {lat['p50']:.1f} ms | {lat['p95']:.1f} ms | "
                f"{lat['rps']:.0f} | {web['queries_small'][label]['queries']} | "
                f"{web['queries_large'][label]['queries']} |"
            )
    worker = results.get("worker")
    if worker:
        out += [
            "",
            "## 5. Approve -> applied",
            "",
            (
                f"{worker['approvals']} approvals one after another through `routes.services.approve_route`, a real "
                "Redis broker and one real Celery worker process (threads pool, concurrency 2). Time from the "
                "approval's commit until `applied_revision` is visible in the database."
            ),
            "",
            "| approvals | p50 | p95 | mean | max | never applied (30 s) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            (
                f"| {worker['approvals']} | {worker['p50']:.0f} ms | {worker['p95']:.0f} ms | {worker['mean']:.0f} ms | "
                f"{worker['max']:.0f} ms | {worker['lost']} |"
            ),
        ]
    if NOTES.exists():
        out += ["", NOTES.read_text().strip()]
    return "\n".join(out) + "\n"


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    noop = results.get("noop") or []
    if noop:
        ns = [r["n"] for r in noop]
        ax = axes[0][0]
        ax.plot(ns, [r["reapply"].requests for r in noop], "o-", label="re-apply every object")
        ax.plot(ns, [r["sync"].requests for r in noop], "o-", label="no-op sync (all requests)")
        ax.plot(
            ns,
            [r["sync"].extra["kinds_listed"] * r["sync"].extra["lists_per_kind"] for r in noop],
            "o--",
            label="no-op sync (lists)",
        )
        real = (results.get("real") or {}).get("noop") or []
        if real:
            ax.plot(
                [r["n"] for r in real],
                [r["sync"].requests for r in real],
                "s-",
                label="no-op sync, kube-apiserver (all requests)",
            )
        ax.set(xscale="log", yscale="log", xlabel="routes", ylabel="API requests", title="No-op sync: requests")
        ax.legend()
        ax = axes[0][1]
        ax.plot(ns, [r["reapply"].seconds for r in noop], "o-", label="re-apply every object")
        ax.plot(ns, [r["sync"].seconds for r in noop], "o-", label="no-op sync")
        if real:
            ax.plot(
                [r["n"] for r in real],
                [r["reapply"].seconds for r in real],
                "s-",
                label="re-apply every object, kube-apiserver",
            )
            ax.plot([r["n"] for r in real], [r["sync"].seconds for r in real], "s-", label="no-op sync, kube-apiserver")
        ax.set(xscale="log", yscale="log", xlabel="routes", ylabel="seconds", title="No-op sync: wall time")
        ax.legend()
    first = [("emulator", r) for r in results.get("first") or []]
    first += [("kube-apiserver", r) for r in (results.get("real") or {}).get("first") or []]
    if first:
        ax = axes[1][0]
        labels = ["floor", "sync", "each"]
        width = 0.25
        for i, key in enumerate(labels):
            ax.bar(
                [j + i * width for j in range(len(first))],
                [r[key].seconds for _, r in first],
                width,
                label={"floor": "floor (SSA loop)", "sync": "Portico: cluster sync", "each": "Portico: per approval"}[
                    key
                ],
            )
        ax.set_xticks([j + width for j in range(len(first))], [f"{where}\nN={r['n']}" for where, r in first])
        ax.set(ylabel="seconds", title="First apply", yscale="log")
        ax.legend()
    worker = results.get("worker")
    if worker:
        ax = axes[1][1]
        ax.hist(worker["samples"], bins=40)
        ax.axvline(worker["p50"], color="k", linestyle="--", label=f"p50 {worker['p50']:.0f} ms")
        ax.axvline(worker["p95"], color="r", linestyle="--", label=f"p95 {worker['p95']:.0f} ms")
        ax.set(xlabel="ms from approval commit to applied", ylabel="approvals", title="Approve -> applied")
        ax.legend()
    fig.suptitle("Portico benchmarks" + (" (quick run)" if results["quick"] else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
