"""The many-clusters section of the results (bench/clusters_bench.py): its target rows and its table."""


def _s(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _others(round_: dict, slow: str) -> float:
    """When the last cluster other than the slow one finished, from the round's trigger."""
    return max(t for name, t in round_["finished"].items() if name != slow)


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    c = results.get("clusters")
    if not c:
        return []
    slow = c["names"][0]
    base, slowed = _others(c["change"], slow), _others(c["slow"], slow)
    size = f"{c['clusters']} clusters x {c['routes']:,} routes, 2 workers"
    return [
        (
            f"Many clusters: a no-op round within the sync interval ({c['interval']} s), {size}",
            (
                f"{_s(c['quiet']['seconds'])} ({c['quiet']['quiet']} of {c['clusters']} syncs quiet); the first no-op "
                f"round after the apply, full syncs: {_s(c['noop']['seconds'])}"
            )
            if "quiet" in c
            else _s(c["noop"]["seconds"]),
            c.get("quiet", c["noop"])["seconds"] < c["interval"],
        ),
        (
            f"Many clusters: a round with 1% of routes changed within the sync interval, {size}",
            f"{_s(c['change']['seconds'])}, {c['applied_changes']}/{c['changed']} applied",
            c["change"]["seconds"] < c["interval"] and c["applied_changes"] == c["changed"],
        ),
        (
            "Many clusters: one slow cluster does not delay the others' round (<= 2x their 1% round + 1 s)",
            f"others done in {_s(slowed)} beside a {_s(c['slow']['durations'][slow])} sync (vs {_s(base)} without)",
            slowed <= 2 * base + 1,
        ),
        (
            f"Many clusters: a sync longer than the {c['lease_seconds']:.0f} s lease keeps it: one owner, no two syncs of a cluster at once",
            (
                f"{c['lease']['renewals']} renewals, {c['lease']['owners']} owner, left out of {c['left_out']} later "
                f"rounds, {c['skipped_slow']} syncs refused, {c['overlaps']} overlapping syncs of {c['syncs']}"
            ),
            c["slow"]["durations"][slow] > c["lease_seconds"]
            and c["lease"]["owners"] == 1
            and c["lease"]["renewals"] >= 1
            and c["overlaps"] == 0,
        ),
    ]


def table(results: dict) -> list[str]:
    c = results.get("clusters")
    if not c:
        return []
    slow = c["names"][0]
    rss = c["fleet_rss_kib"]
    idle = f"; idle, the fleet keeps {c['fleet_idle_cores']:.2f} cores busy" if "fleet_idle_cores" in c else ""
    anon = rss.get("apiservers_anon")
    total = f", {sum(anon) / 1024 / 1024:,.1f} GiB for the {len(anon)} without their shared binary" if anon else ""
    out = [
        "",
        "## 6. Many clusters",
        "",
        (
            f"{c['clusters']} clusters x {c['routes']:,} routes (bench/clusters_bench.py): one kube-apiserver process "
            f"per cluster on one shared etcd, each under its own `--etcd-prefix` (bench/fleet.py; started "
            f"{_s(c['apiserver_start']['median'])} median each, the fleet in {_s(c['fleet_start_seconds'])}; "
            f"{sum(rss['apiservers']) / 1024 / len(rss['apiservers']):,.0f} MiB resident per API server{total}, etcd "
            f"{rss['etcd'] / 1024:,.0f} MiB{idle}). Two `celery worker` processes (threads, concurrency 2 each) on Redis; "
            "each round is one `sync_all_clusters` (beat's trigger), timed until every cluster's sync that started "
            f"after it ended (from the workers' logs). The slow round puts {slow} behind a TCP proxy holding every "
            f"request {c['slow_delay'] * 1000:,.0f} ms, one at a time, and sends the trigger again every {c['interval']} s "
            "as beat would. The workers watch what they list (quiet syncs): a no-op round finds every watch quiet."
        ),
        "",
        "| round | full round | per-cluster sync min / median / max | others done (all but the slow one) |",
        "| --- | ---: | --- | ---: |",
    ]
    for key, label in (
        ("first", "first apply"),
        ("noop", "no-op"),
        ("quiet", "no-op again"),
        ("change", "1% of routes changed"),
        ("slow", "1% of other routes changed, one cluster slow"),
    ):
        r = c[key]
        d = sorted(r["durations"].values())
        mid = d[len(d) // 2]
        quiet = f" ({r['quiet']} quiet)" if r.get("quiet") else ""
        out.append(
            f"| {label}{quiet} | {_s(r['seconds'])} | {_s(d[0])} / {_s(mid)} / {_s(d[-1])} | {_s(_others(r, slow))} |"
        )
    peak = ", ".join(f"{k / 1024:,.0f} MiB" for k in c["worker_peak_rss_kib"])
    out += [
        "",
        (
            f"Worker peak resident memory: {peak}. Lease: {c['lease_seconds']:.0f} s; the slow sync lasted "
            f"{_s(c['slow']['durations'][slow])}, renewed its lease {c['lease']['renewals']} times under one owner; "
            f"beat's later rounds left it out while it ran ({c['left_out']} rounds), {c['skipped_slow']} syncs of it "
            f"were refused by the lease, and {c['overlaps']} of the {c['syncs']} syncs run overlapped another of the "
            "same cluster. Each round waits first until no sync is queued or running."
        ),
    ]
    return out
