"""The emulator's object store: kube-apiserver's read and write semantics over kmock's versioned objects.

Objects live in a `kmock.ObjectsArray`, which keeps every version of every object (a deletion is a
`None` version), so tests can see how often an object was written. Everything here is synchronous and
guarded by one lock: the HTTP handler calls it from the emulator's event loop, tests call it from their
own thread. `ObjectStore` keeps objects, versions and the writes they share; lists, patches and server-side
apply, deletes, watches and the checks every write passes are its mixins (listing.py, patching.py, deletion.py,
watches.py, checks.py).
"""

import collections
import copy
import ipaddress
import secrets
import threading
import uuid

import kmock

from tests.kube import fields
from tests.kube.api_errors import ApiError
from tests.kube.checks import WriteChecks
from tests.kube.deletion import Deletion
from tests.kube.fields import Ownership
from tests.kube.listing import Listing
from tests.kube.patching import Patching
from tests.kube.resources import DEFAULT_RESOURCE_TYPES, ResourceType, present, resource_types_from_crd
from tests.kube.watches import Watcher, Watching, _Event


class ObjectStore(Listing, Patching, Deletion, Watching, WriteChecks):
    """Kubernetes objects by resource type, namespace and name, with the API server's semantics.

    Writes assign uid, creationTimestamp, generation and a cluster-wide increasing resourceVersion,
    track field owners in `metadata.managedFields` (server-side apply removes fields its manager
    stopped applying), apply a few server defaults (Service clusterIP, ports' protocol and targetPort,
    nodePorts; Namespace phase), validate names, label keys and values, and honour finalizers.
    Writes that change nothing are not stored and keep the resourceVersion.
    """

    # How many past changes a watch can resume from (older resourceVersions answer 410 Gone).
    EVENT_BACKLOG = 10_000

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects = kmock.ObjectsArray()
        self.types: dict[tuple[str, str, str], ResourceType] = {}
        # When true, namespaced objects may only be created in existing Namespaces (as on a real cluster).
        self.require_namespaces = False
        self.on_types_changed = lambda: None
        self._crd_types: dict[str, list[ResourceType]] = {}
        self._watchers: set[Watcher] = set()
        self.clear()

    def clear(self) -> None:
        """Forget every object, watch backlog and allocation; restore the default resource types."""
        with self.lock:
            for watcher in self._watchers:
                watcher.close()
            self._watchers.clear()
            self.objects.clear()
            self._resource_version = 1000
            self._events: collections.deque[_Event] = collections.deque(maxlen=self.EVENT_BACKLOG)
            self._next_cluster_ip = int(ipaddress.IPv4Address("10.96.0.10"))
            self._next_node_port = 30000
            self.require_namespaces = False
            self._crd_types.clear()
            self.types = {(t.group, t.version, t.plural): t for t in DEFAULT_RESOURCE_TYPES}
        self.on_types_changed()

    # Resource types.

    def resource_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def resolve(self, api_version: str, name: str) -> ResourceType:
        """The served type for an apiVersion and a plural, kind, singular or short name."""
        for rtype in list(self.types.values()):
            if rtype.api_version == api_version and (
                name in {rtype.plural, rtype.kind, rtype.singular} or name in rtype.short_names
            ):
                return rtype
        served = sorted(f"{t.api_version} {t.plural}" for t in self.types.values())
        raise LookupError(f"The emulator serves no {name!r} in {api_version!r}; it serves: {', '.join(served)}")

    def add_type(self, rtype: ResourceType) -> None:
        with self.lock:
            self.types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self.on_types_changed()

    def remove_group(self, group: str) -> None:
        """Stop serving every resource of an API group (as if its CRDs or API service were removed)."""
        with self.lock:
            self.types = {key: rtype for key, rtype in self.types.items() if rtype.group != group}
        self.on_types_changed()

    # Reads.

    def _key(self, rtype: ResourceType, namespace: str | None, name: str) -> tuple:
        # Keyed by group and plural only, so every served version of a resource shares its objects.
        return (kmock.resource(group=rtype.group, plural=rtype.plural), namespace if rtype.namespaced else None, name)

    def _current(self, rtype: ResourceType, namespace: str | None, name: str) -> dict | None:
        key = self._key(rtype, namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return self.objects[key].raw

    def find(self, rtype: ResourceType, namespace: str | None, name: str) -> dict | None:
        """A copy of the object, or None."""
        with self.lock:
            current = self._current(rtype, namespace, name)
            return present(rtype, current) if current is not None else None

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> dict:
        """A copy of the object; 404 when missing."""
        found = self.find(rtype, namespace, name)
        if found is None:
            raise ApiError.not_found(rtype, name)
        return found

    def history(self, rtype: ResourceType, namespace: str | None, name: str) -> list[dict | None]:
        """Every stored version of an object, oldest first; None marks a deletion."""
        with self.lock:
            key = self._key(rtype, namespace, name)
            if key not in self.objects:
                return []
            return [None if v is None else present(rtype, v.raw) for v in self.objects[key].history]

    # Writes.

    def create(
        self,
        rtype: ResourceType,
        namespace: str | None,
        body: object,
        *,
        manager: str,
        dry_run: bool = False,
        keep_status: bool = False,
    ) -> dict:
        """POST: store a new object; 409 if it exists. `keep_status` lets test seeds set `status` too."""
        obj = self._checked_body(rtype, body)
        meta = obj.setdefault("metadata", {})
        namespace = self._checked_namespace(rtype, namespace, meta)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)
            )
        if not meta.get("name"):
            raise ApiError.invalid(rtype, "", [("metadata.name", "Required value: name or generateName is required")])
        for server_field in fields.UNOWNED_METADATA - {"name", "namespace"}:
            meta.pop(server_field, None)
        if rtype.has_status and not keep_status:
            obj.pop("status", None)
        owner = Ownership(manager, "Update", rtype.api_version)
        with self.lock:
            return self._insert(rtype, namespace, obj, owner, without_status=not keep_status, dry_run=dry_run)

    def _insert(
        self,
        rtype: ResourceType,
        namespace: str | None,
        obj: dict,
        owner: Ownership,
        *,
        without_status: bool,
        dry_run: bool,
    ) -> dict:
        meta = obj["metadata"]
        if self._current(rtype, namespace, meta["name"]) is not None:
            raise ApiError.already_exists(rtype, meta["name"])
        if rtype.namespaced and self.require_namespaces and self._namespace_missing(namespace):
            namespaces = self.types[("", "v1", "namespaces")]
            raise ApiError.not_found(namespaces, namespace or "")
        self._default(rtype, obj, None)
        self._validate(rtype, obj)
        if owner.operation == "Update":  # creation owns what ends up stored, server defaults included
            owner.paths = fields.leaf_paths(obj, without_status=without_status and rtype.has_status)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=fields.now(), generation=1)
        meta["managedFields"] = fields.render_all([owner])
        return self._store(rtype, None, obj, dry_run=dry_run)

    def replace(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: object,
        *,
        manager: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """PUT: replace the object (its status only, through the status subresource); 404 if missing."""
        obj = self._checked_body(rtype, body)
        meta = obj.setdefault("metadata", {})
        self._checked_namespace(rtype, namespace, meta)
        if meta.get("name", name) != name:
            raise ApiError.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        with self.lock:
            old = self._existing(rtype, namespace, name)
            if "managedFields" not in meta:  # a PUT without managedFields keeps the recorded owners
                meta["managedFields"] = old["metadata"].get("managedFields", [])
            return self._update(rtype, old, obj, manager=manager, subresource=subresource, dry_run=dry_run)

    def _update(
        self,
        rtype: ResourceType,
        old: dict,
        obj: dict,
        *,
        manager: str | None,
        subresource: str | None,
        dry_run: bool,
    ) -> dict:
        """Finish any write to an existing object. With a `manager`, attribute what changed to it
        (an Update operation); without, the caller already rewrote managedFields (apply)."""
        if subresource not in (None, "status"):
            raise ApiError.no_such_resource()
        meta = obj.setdefault("metadata", {})
        old_meta = old["metadata"]
        # A resourceVersion in the body makes the write conditional (optimistic concurrency).
        if meta.get("resourceVersion") not in (None, "", old_meta["resourceVersion"]):
            raise ApiError.modified(rtype, old_meta["name"])
        for kept in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
        ):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        # The status subresource changes only status; the main endpoint of such a resource never does.
        if subresource == "status":
            new_status = obj.get("status")
            obj = copy.deepcopy(old)
            obj["metadata"]["managedFields"] = meta.get("managedFields", old_meta.get("managedFields", []))
            if new_status is None:
                obj.pop("status", None)
            else:
                obj["status"] = new_status
        elif rtype.has_status:
            if "status" in old:
                obj["status"] = copy.deepcopy(old["status"])
            else:
                obj.pop("status", None)
        if old_meta.get("deletionTimestamp") and set(obj["metadata"].get("finalizers") or []) - set(
            old_meta.get("finalizers") or []
        ):
            raise ApiError(
                422,
                "Invalid",
                f'{rtype.qualified_kind} "{old_meta["name"]}" is invalid: metadata.finalizers: Forbidden: '
                "no new finalizers can be added if the object is being deleted",
            )
        self._default(rtype, obj, old)
        self._validate(rtype, obj)
        if manager is not None:
            self._record_update(rtype, old, obj, manager, subresource)
        if _spec_of(obj) != _spec_of(old):
            obj["metadata"]["generation"] = old_meta.get("generation", 1) + 1
        return self._store(rtype, old, obj, dry_run=dry_run)

    def _store(self, rtype: ResourceType, old: dict | None, obj: dict, *, dry_run: bool) -> dict:
        """Persist a finished write (unless it changes nothing) and tell the watchers."""
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj["metadata"]
        if old is not None and _comparable(obj) == _comparable(old):
            return present(rtype, old)
        meta["resourceVersion"] = str(self._resource_version + 1)
        if dry_run:
            return present(rtype, obj)
        self._resource_version += 1
        key = self._key(rtype, meta.get("namespace"), meta["name"])
        if old is None and key in self.objects:
            self.objects[key].history.append(copy.deepcopy(obj))  # re-created: continue its history
        elif old is None:
            self.objects[key] = copy.deepcopy(obj)
        else:
            self.objects[key].history.append(copy.deepcopy(obj))
        self._emit(rtype, "ADDED" if old is None else "MODIFIED", old, obj)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._remove(rtype, obj)  # the last finalizer is gone: the pending deletion completes
        self._after_write(rtype, old, obj)
        return present(rtype, obj)

    def _remove(self, rtype: ResourceType, obj: dict) -> dict:
        self._resource_version += 1
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self._resource_version)
        self.objects[self._key(rtype, obj["metadata"].get("namespace"), obj["metadata"]["name"])].history.append(None)
        self._emit(rtype, "DELETED", obj, gone)
        self._after_write(rtype, obj, None)
        return gone

    def _after_write(self, rtype: ResourceType, old: dict | None, new: dict | None) -> None:
        # A CustomResourceDefinition makes its resource servable, as on a real cluster.
        if (rtype.group, rtype.plural) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            name = (new or old or {}).get("metadata", {}).get("name", "")
            for previous in self._crd_types.pop(name, []):
                self.types.pop((previous.group, previous.version, previous.plural), None)
            if new is not None:
                self._crd_types[name] = resource_types_from_crd(new)
                for served in self._crd_types[name]:
                    self.types[(served.group, served.version, served.plural)] = served
            self.on_types_changed()
        # Deleting a Namespace deletes what is in it.
        if (rtype.group, rtype.plural) == ("", "namespaces") and new is None:
            namespace = old["metadata"]["name"]
            served = {(t.group, t.plural): t for t in self.types.values()}
            for (resource, ns, _name), stored in list(self.objects.items()):
                if ns == namespace and not stored.deleted and (resource.group, resource.plural) in served:
                    self._remove(served[resource.group, resource.plural], stored.raw)


def _spec_of(obj: dict) -> dict:
    # Generation counts changes to anything but metadata and status (the "desired state").
    return {key: value for key, value in obj.items() if key not in {"metadata", "status", "apiVersion", "kind"}}


def _comparable(obj: dict) -> dict:
    stripped = copy.deepcopy(obj)
    stripped["metadata"].pop("resourceVersion", None)
    return stripped
