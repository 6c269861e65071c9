"""A GitOps export target with the same calls as KubeClient: objects are YAML files in a folder.

One file per object, `<namespace>/<kind>-<name>.yaml`, written atomically; Argo CD or Flux picks the
folder up. Pruning removes the file. Only equality label selectors are needed (ours), so only those
are supported, and anything else is refused loudly.
"""

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from .kube import Kind, kind_of

# One folder name: letters, digits, ".", "_" and "-", not starting with "." (so neither ".." nor hidden folders).
_FOLDER_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
FOLDER_RULE = (
    'a folder relative to the export root, such as "prod-eu" or "gitops/prod-eu": names of letters, '
    'digits, ".", "_" and "-" separated by "/", none starting with "."'
)


class FolderError(ValueError):
    """A directory cluster's folder is not its own: outside PORTICO_DIRECTORY_ROOT, or shared with another
    directory cluster (docs/security.md, "One owner per object")."""

    # A template asking for a cluster's path shows nothing rather than failing the whole page.
    silent_variable_failure = True


def cluster_folder(directory: str, name: str, root: Path) -> Path:
    """The folder a directory cluster writes to: ``directory`` (empty: the cluster's ``name``) under ``root``,
    resolved, symbolic links followed. Raises FolderError unless it lies strictly inside ``root``.

    Absolute paths and ".." are refused outright; resolving then catches a folder that a symbolic link leads
    out of the root."""
    raw = directory or name
    if not isinstance(raw, str) or not all(_FOLDER_PART.fullmatch(part) for part in raw.split("/")):
        raise FolderError(f"{raw!r} is not {FOLDER_RULE}.")
    base = Path(root).resolve()
    path = (base / raw).resolve()
    if path == base or not path.is_relative_to(base):
        raise FolderError(f"{raw!r} leads outside the export root (a symbolic link); use {FOLDER_RULE}.")
    return path


def folder_problem(directory: str, name: str, root: Path, others: Mapping[str, tuple[str, str]]) -> str | None:
    """Why a directory cluster may not write to ``directory``, or None. ``others`` maps every other directory
    cluster's name to its (directory, name): no two clusters share a folder or nest one in the other, since
    each sync prunes what its folder holds. The one check of the folder rule, for every write path
    (clusters.services) and every sync (routes.reconcile)."""
    try:
        path = cluster_folder(directory, name, root)
    except FolderError as exc:
        return str(exc)
    for other_name, (other_directory, other_default) in sorted(others.items()):
        try:
            other = cluster_folder(other_directory, other_default, root)
        except FolderError:
            continue  # that cluster's own folder is refused; it writes nowhere
        if path == other:
            return f'Cluster "{other_name}" already writes to this folder; each directory cluster needs its own.'
        if path.is_relative_to(other) or other.is_relative_to(path):
            return (
                f'This folder and the folder of cluster "{other_name}" lie one inside the other; each directory '
                "cluster needs a folder of its own, outside the others."
            )
    return None


class DirectoryTarget:
    def __init__(self, root: Path):
        self.root = Path(root)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _file(self, kind: Kind, name: str, namespace: str | None) -> Path:
        path = self.root / (namespace or "_cluster") / f"{kind.kind.lower()}-{name}.yaml"
        # A symbolic link inside the folder must not lead a write or a delete out of it.
        if not path.parent.resolve().is_relative_to(self.root.resolve()):
            raise FolderError(f"{path.parent} leads outside {self.root}; Portico will not write there.")
        return path

    def apply(self, obj: dict, *, uid: str | None = None) -> dict:
        """Write the object's file (``uid`` is for KubeClient's signature: files have none)."""
        meta = obj["metadata"]
        path = self._file(kind_of(obj), meta["name"], meta.get("namespace"))
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
        return obj

    def get(self, kind: Kind, name: str, namespace: str | None = None) -> dict | None:
        path = self._file(kind, name, namespace)
        return yaml.safe_load(path.read_text()) if path.exists() else None

    def list(self, kind: Kind, *, namespace: str | None = None, label_selector: str | None = None) -> list[dict]:
        wanted = _parse_equality_selector(label_selector)
        pattern = f"{namespace or '*'}/{kind.kind.lower()}-*.yaml"
        items = []
        for path in sorted(self.root.glob(pattern)) if self.root.exists() else []:
            obj = yaml.safe_load(path.read_text()) or {}
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if obj.get("kind") == kind.kind and all(labels.get(k) == v for k, v in wanted.items()):
                items.append(obj)
        return items

    def delete(self, kind: Kind, name: str, namespace: str | None = None, *, uid: str | None = None) -> bool:
        """Remove the object's file; False when there is none. Files carry no uid, so ``uid`` (KubeClient's
        delete precondition) is accepted and not compared; callers judged the file's labels just before."""
        path = self._file(kind, name, namespace)
        if not path.exists():
            return False
        path.unlink()
        if path.parent != self.root and not any(path.parent.iterdir()):
            path.parent.rmdir()
        return True


def _parse_equality_selector(selector: str | None) -> dict[str, str]:
    wanted = {}
    for part in filter(None, (selector or "").split(",")):
        key, sep, value = part.partition("=")
        if not sep or key.endswith("!") or any(ch in part for ch in "() "):
            raise ValueError(f"Directory targets support only key=value selectors, not {part!r}.")
        wanted[key] = value.lstrip("=")
    return wanted
