"""`make dev-cluster`: run the local API server in the foreground until Ctrl-C, and write its kubeconfig.

    python -m clusters.devcluster [--dir var/dev-cluster] [--port 16443]

The kubeconfig (DIR/kubeconfig) has inline data only, so `manage.py add_cluster NAME --kubeconfig FILE` takes
it; its current context is ``portico`` (the least-privilege identity of deploy/target-rbac.yaml), and context
``admin`` (system:masters) is there for kubectl.
"""

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import yaml

from .server import BinariesMissing, LocalCluster, LocalClusterError


def kubeconfig_text(cluster: LocalCluster) -> str:
    """Both identities in one file, current context ``portico``."""
    portico, admin = cluster.kubeconfig("portico"), cluster.kubeconfig("admin")
    merged = {
        **portico,
        "users": portico["users"] + admin["users"],
        "contexts": portico["contexts"] + admin["contexts"],
    }
    return yaml.safe_dump(merged, sort_keys=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clusters.devcluster", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("PORTICO_VAR_DIR", "var")) / "dev-cluster")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORTICO_DEV_CLUSTER_PORT", "16443")))
    args = parser.parse_args(argv)

    stopping = []
    # SIGTERM (and SIGINT) end the wait below, so the servers are stopped in order instead of left to PDEATHSIG.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        cluster = LocalCluster(args.dir, port=args.port)
    except BinariesMissing as exc:
        print(f"dev-cluster: {exc}", file=sys.stderr)
        return 2
    print(f"dev-cluster: starting etcd and kube-apiserver ({cluster.bin_dir}) in {args.dir} ...", flush=True)
    started = time.monotonic()
    try:
        cluster.start()
    except LocalClusterError as exc:
        print(f"dev-cluster: {exc}", file=sys.stderr)
        return 1
    path = args.dir / "kubeconfig"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(kubeconfig_text(cluster))
    tmp.chmod(0o600)
    tmp.replace(path)
    print(
        f"""dev-cluster: ready at {cluster.url} after {time.monotonic() - started:.0f} s.
  kubeconfig: {path} (context portico: deploy/target-rbac.yaml's identity; context admin: system:masters)
  Portico:    python manage.py add_cluster dev --kubeconfig {path}
              python manage.py reconcile --cluster dev
  kubectl:    kubectl --kubeconfig {path} --context admin get crds
  Logs in {args.dir}/*.log. No controllers run here: nothing sets Ingress addresses or Certificate readiness.
  Ctrl-C stops it.""",
        flush=True,
    )
    try:
        while not stopping:
            failed = cluster.failed_process()
            if failed:
                print(f"dev-cluster: {failed}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        cluster.stop()
        print("dev-cluster: stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
