"""Which Kubernetes schemas Portico checks a cluster's objects against (docs/architecture.md, "Clusters as they
really are").

kubernetes-validate bundles the OpenAPI schemas of a range of Kubernetes minor versions. A cluster inside that range
is checked against its own version's schemas. A cluster newer than the newest bundled version is checked against the
newest ones, with a warning: Kubernetes does not remove a served API version within a few minors (the deprecation
policy gives GA APIs no removal at all), so what validates for the newest known version is what a newer API server
accepts, bar a field it added; refusing every route on a cluster upgraded before Portico was would help nobody. A
cluster older than the oldest bundled version (or a version Portico cannot read) stays an error: its API server may
lack what the objects use, and Portico cannot say.

Pure (no Django): used by the domain's validation and by the Cluster model's notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import kubernetes_validate
from kubernetes_validate.utils import all_versions


@dataclass(frozen=True)
class SchemaChoice:
    """The schemas for one cluster version: ``version`` the minor whose schemas are used ("" when none can be),
    ``warning`` set when that is not the cluster's own, ``error`` set when no schemas fit."""

    version: str
    warning: str = ""
    error: str = ""


@lru_cache(maxsize=1)
def known_versions() -> tuple[tuple[int, int], ...]:
    """The minor versions kubernetes-validate has schemas for, oldest first (read from disk once)."""
    return tuple(sorted({(int(v.split(".")[0]), int(v.split(".")[1])) for v in all_versions()}))


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@lru_cache(maxsize=64)
def choose(kubernetes_version: str) -> SchemaChoice:
    """The schemas to check objects for a cluster of ``kubernetes_version`` ("1.37", "v1.40.1") against."""
    known = known_versions()
    oldest, newest = _text(known[0]), _text(known[-1])
    match = re.match(r"v?(\d+)\.(\d+)", kubernetes_version.strip())
    if match is None:
        return SchemaChoice(
            version="",
            error=(
                f"cannot validate for Kubernetes {kubernetes_version!r}: not a version Portico can read; "
                f"kubernetes-validate {kubernetes_validate.__version__} has schemas for {oldest} to {newest}"
            ),
        )
    wanted = (int(match[1]), int(match[2]))
    if wanted < known[0]:
        return SchemaChoice(
            version="",
            error=(
                f"cannot validate for Kubernetes {_text(wanted)}: it is older than the oldest schemas Portico knows "
                f"({oldest}; kubernetes-validate {kubernetes_validate.__version__} has {oldest} to {newest}). "
                "Upgrade the cluster, or run a Portico release that supports it."
            ),
        )
    if wanted > known[-1]:
        return SchemaChoice(version=newest, warning=newer_notice(_text(wanted)))
    return SchemaChoice(version=_text(wanted))


def newer_notice(cluster_version: str) -> str:
    """What a platform engineer and a developer read about a cluster newer than the bundled schemas."""
    newest = _text(known_versions()[-1])
    return (
        f"Kubernetes {cluster_version} is newer than the schemas Portico knows (up to {newest}); objects are checked "
        f"against {newest}. A field only {cluster_version} knows would be refused by Portico's check, and a field "
        f"{cluster_version} dropped would only be refused by the API server. Upgrade Portico to check against "
        f"{cluster_version} itself."
    )
