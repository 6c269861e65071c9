"""A local Kubernetes API server (etcd + kube-apiserver built from Go modules) for the tests and `make dev-cluster`.

See server.LocalCluster and docs/dev-cluster.md.
"""

from .pki import PORTICO_USER
from .server import ApiError, BinariesMissing, LocalCluster, LocalClusterError, binaries

__all__ = ["PORTICO_USER", "ApiError", "BinariesMissing", "LocalCluster", "LocalClusterError", "binaries"]
