"""Where a cluster's objects go: its API server (``KubeClient``) or, for a directory cluster, its export folder
(``DirectoryTarget``). Both satisfy ``Target``, the calls the reconciler makes, so the worker never asks which
one it holds. ``open_target`` is the one place that picks and opens the right one for a cluster."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from .directory import DirectoryTarget, FolderError
from .kube import Kind, KubeClient
from .models import Cluster

Manifest = dict[str, Any]


@runtime_checkable
class Target(Protocol):
    """Server-side apply, get, list by label and delete of Kubernetes objects, as a context manager."""

    def apply(self, obj: Manifest, *, uid: str | None = None) -> Manifest: ...

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> Manifest | None: ...

    def list(
        self, kind: Kind, *, namespace: str | None = None, label_selector: str | None = None
    ) -> list[Manifest]: ...

    def delete(self, kind: Kind, name: str, namespace: str | None = None, *, uid: str | None = None) -> bool: ...

    def close(self) -> None: ...

    def __enter__(self) -> Target: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


def open_target(cluster: Cluster) -> Target:
    """The cluster's API server, or its export folder for directory clusters. Raises FolderError for a folder
    that is not the cluster's own (stored before the folder rule): nothing is written or pruned there."""
    if cluster.is_directory:
        problem = cluster.folder_problem()
        if problem:
            raise FolderError(problem)
        return DirectoryTarget(cluster.directory_path())
    return KubeClient.for_cluster(cluster)
