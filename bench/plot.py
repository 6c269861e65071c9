"""results.png: the no-op sync, the big shared cluster, the first apply and approve -> applied, as four panels."""

from pathlib import Path

from .report import SYNC_INTERVAL


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
        ax = axes[0][0]
        again = [r for r in noop if r["reapply"] is not None]
        ax.plot([r["n"] for r in again], [r["reapply"].seconds for r in again], "o-", label="re-apply every object")
        ax.plot([r["n"] for r in noop], [r["sync"].seconds for r in noop], "o-", label="no-op sync, quiet")
        full = [r for r in noop if r.get("full") is not None]
        ax.plot([r["n"] for r in full], [r["full"].seconds for r in full], "o-", label="no-op sync, full")
        ax.axhline(SYNC_INTERVAL, color="grey", linestyle=":", label=f"sync interval ({SYNC_INTERVAL} s)")
        ax.set(xscale="log", yscale="log", xlabel="routes", ylabel="seconds", title="No-op sync: wall time")
        ax.legend()
    scale = results.get("scale")
    if scale:
        ax = axes[0][1]
        xs = [row["services"] + row["slices"] for row in scale["rows"]]
        ax.plot(xs, [row["sync"]["bytes"] / 2**20 for row in scale["rows"]], "o-", label="sync: MiB received")
        ax.plot(
            xs, [row["unscoped"]["bytes"] / 2**20 for row in scale["rows"]], "s--", label="unscoped lists: MiB received"
        )
        ax.plot(
            xs,
            [(row["sync"]["rss_peak_kib"] - row["sync"]["rss_before_kib"]) / 1024 for row in scale["rows"]],
            "o-",
            label="sync: peak memory MiB",
        )
        ax.plot(
            xs,
            [(row["unscoped"]["rss_peak_kib"] - row["unscoped"]["rss_before_kib"]) / 1024 for row in scale["rows"]],
            "s--",
            label="unscoped lists: peak memory MiB",
        )
        ax.set(
            xlabel="foreign objects on the cluster",
            ylabel="MiB",
            title=f"A sync of {scale['routes']} routes on a big shared cluster",
        )
        ax.legend()
    first = results.get("first") or []
    if first:
        ax = axes[1][0]
        labels = ["floor", "sync", "each"]
        width = 0.25
        for i, key in enumerate(labels):
            ax.bar(
                [j + i * width for j in range(len(first))],
                [r[key].seconds if r.get(key) else 0 for r in first],
                width,
                label={"floor": "floor (SSA loop)", "sync": "Portico: cluster sync", "each": "Portico: per approval"}[
                    key
                ],
            )
        ax.set_xticks([j + width for j in range(len(first))], [f"N={r['n']}" for r in first])
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
