"""Write docs/reliability.md from the figures one fault-test run recorded (tests/fault/conftest.py).

PORTICO_RELIABILITY_DOC=docs/reliability.md PORTICO_WORKER_TESTS=1 scripts/test.sh -m "worker or fault" tests/fault tests/worker
python -m tests.fault.report var/fault-figures.json docs/reliability.md      # or from a saved run
"""

import json
import sys
from pathlib import Path

INTRO = """# Reliability: faults never cost a route

Figures from one real run of the fault tests (`tests/fault`, marker `fault`), written by the run itself
(`PORTICO_RELIABILITY_DOC=docs/reliability.md`, see tests/fault/report.py). Each test runs real Celery worker
processes (threads pool) on a real Redis, the live PostgreSQL test database, and an API server over HTTP with
the official client, all on loopback: the local kube-apiserver (tests/realkube) for Redis down and the
out-of-band changes, the Kubernetes API emulator (tests/kube) where faults are injected or the figures count
the requests a worker process sent, which only the emulator's own log sees.

- Run: {date} on {machine}; pytest exit status {exitstatus}.
- Recovery paths exercised: Redis redelivers a message a killed worker fetched but never acknowledged
  (`acks_late`; the tests shorten the visibility timeout to 3 s, production keeps an hour), and the beat
  sweep (`sync_all_clusters` -> `sync_cluster`) picks up every route whose approved and applied revisions
  differ, whatever happened to its message.
- Bugs these tests found, fixed with a test that failed before (tests/fault/test_sync_races.py,
  tests/fault/test_secrets_stay_secret.py): a cluster sync re-applied objects another worker had just
  applied (its lists predate its database snapshot), could write an older revision back over a newer one,
  and could overwrite a newer status with one evaluated from its older snapshot; reconcile_route trusted a
  sync's lists for a route another worker had settled meanwhile (a second apply); Django's error reports
  showed the kubeconfig and the bearer token in the kube client's frames.
- Races between people and between writers, and what holds (docs/security.md, "One owner per object"): two
  requests for one Service checked at the same moment can both be stored, but approval counts pending
  revisions, so neither is approved while the other waits (tests/routes/test_one_owner_per_object.py); an
  object deleted and re-created by someone else between Portico's read (or list) and its DELETE survives,
  because the DELETE carries the uid that was read (tests/realkube/test_one_owner_per_object.py).
"""

ON_A_REAL_API_SERVER = """## On a real API server

Conflicts that only a real kube-apiserver produces, each tested on the local one (tests/realkube: etcd and
kube-apiserver built from their Go modules, server-side apply, RBAC and admission as on any cluster), and what
Portico does:

- **Another field manager edits a Portico object** (`kubectl edit`, an Update; or `kubectl apply --server-side
  --force-conflicts` as manager `kubectl`), changing a field Portico applies (`spec.ingressClassName`) and
  adding one it does not (an annotation). The next sync sees the drift and re-applies with `force=true`: the
  field is Portico's again (managedFields name `portico` for it), the other manager's annotation stays its own,
  untouched, and later syncs send no PATCH. Portico compares only what it applies, so fields others add are
  never drift (tests/reconcile/test_other_field_managers.py).
- **A second controller adds a port to a Service Portico manages** (a mesh's `metrics` port, by server-side
  apply). Service `ports` is a list the server merges by `port` and `protocol`, so the port survives Portico's
  applies. Drift is judged the way the server merges (`routes/reconcile.py`, `MERGED_LISTS`): an item another
  manager added to such a list is not drift, while a change to Portico's own port (its `targetPort`) is
  repaired, the foreign port kept. Before, the compare expected the list to be exactly Portico's and every sync
  re-applied the Service, forever (the emulator replaced the whole list, so tests converged). Every other list
  Portico writes is atomic on the server (Ingress rules, paths and tls; Certificate dnsNames; HTTPRoute rules):
  any difference there is drift, and the forced apply replaces it whole.
- **An object is deleted and created again by someone else, without Portico's labels, between Portico's read
  (or the sync's list) and its apply.** Portico's apply names the uid it read (`metadata.uid`), so the server
  refuses to apply it to the new object (422, `metadata.uid` is immutable): the new object is left exactly as
  its author made it, and the route goes Degraded with "... was deleted and created again by someone else since
  Portico read it; the new object is not Portico's". The next sync lists it as an object Portico does not
  manage and says so. An object only deleted meanwhile is created again. Before, the forced apply took the
  stranger's object over: Portico's labels on it, its fields overwritten
  (tests/reconcile/test_replaced_between_read_and_apply.py). Deletes carry the uid the same way.
- **A paginated list outlives its continue token.** kube-apiserver compacts etcd's history every 5 minutes; a
  list continued past that answers 410 Gone ("continue parameter is too old"). Portico lists in pages of 500
  and starts such a list again from its first page (a consistent snapshot, never pages of two), up to 3 times,
  then leaves it to the next sync as a transient error. Before, the 410 failed the whole sync as a permanent
  error blamed on permissions. The test compacts etcd for real between two pages
  (tests/clusters/test_list_continue_expired.py). It lists Events, which have no watch cache: from 1.33 the API
  server serves continued lists of cached kinds from its cache's snapshots for a while, before 1.33 always from
  etcd.
"""


TITLES = {
    "test_worker_killed_mid_reconcile": "1. A worker SIGKILLed in the middle of reconciling 200 routes",
    "test_api_server_outage": "2. API server: 500, then 429 with Retry-After, then connection refused",
    "test_redis_down": "3. Redis down while routes are submitted and approved",
    "test_two_workers_sync_one_cluster": "4. Two workers syncing the same cluster at once",
    "test_out_of_band_changes": "5. Out-of-band edit and delete, and a foreign Ingress on our host",
}


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return "<br>".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _module(entry: dict) -> str:
    return entry["test"].split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")


def render(run: dict) -> str:
    lines = [INTRO.format(**run)]
    for entry in sorted(run["results"], key=lambda e: TITLES.get(_module(e), "9")):
        if not entry["figures"]:
            continue
        module = _module(entry)
        lines += [
            f"## {TITLES.get(module, module)}",
            "",
            f"`{entry['test']}`",
            "",
            "| figure | value |",
            "| --- | --- |",
        ]
        lines += [f"| {name.replace('_', ' ')} | {_value(value)} |" for name, value in entry["figures"].items()]
        lines.append("")
    lines.append(ON_A_REAL_API_SERVER)
    return "\n".join(lines)


def write_report(run: dict, path: Path) -> None:
    path.write_text(render(run))


if __name__ == "__main__":
    write_report(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
