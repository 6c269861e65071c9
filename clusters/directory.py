"""A GitOps export target with the same calls as KubeClient: objects are YAML files in a folder.

One file per object, `<namespace>/<kind>-<name>.yaml`, written atomically; Argo CD or Flux picks the
folder up. Pruning removes the file. Only equality label selectors are needed (ours), so only those
are supported, and anything else is refused loudly.
"""
import os
import tempfile
from pathlib import Path

import yaml

from .kube import Kind, kind_of


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
        return self.root / (namespace or "_cluster") / f"{kind.kind.lower()}-{name}.yaml"

    def apply(self, obj: dict) -> dict:
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
