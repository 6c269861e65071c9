"""Deletes: preconditions, finalizers, the answer kube-apiserver gives, and deletes of a whole collection."""

import copy

from tests.kube import fields
from tests.kube.api_errors import ApiError, _details
from tests.kube.resources import ResourceType, present

# Deleting these answers the deleted object, as kube-apiserver does (others answer a Status).
_DELETE_RETURNS_OBJECT = frozenset({("", "namespaces"), ("", "services"), ("", "pods")})


class Deletion:
    """DELETE for `ObjectStore`, one object or a selection of them."""

    def delete(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        *,
        options: object = None,
        dry_run: bool = False,
    ) -> dict:
        """DELETE: remove the object, or only mark it (deletionTimestamp) while finalizers remain.
        Answers a Status, or the object when it stays (finalizers) or is a Namespace."""
        preconditions = (options.get("preconditions") if isinstance(options, dict) else None) or {}
        with self.lock:
            old = self._existing(rtype, namespace, name)
            meta = old["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                raise ApiError.conflict(
                    rtype,
                    name,
                    f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                    f"UID in object meta: {meta['uid']}",
                )
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise ApiError.conflict(
                    rtype,
                    name,
                    (
                        f"the ResourceVersion in the precondition ({preconditions['resourceVersion']}) does not match "
                        f"the ResourceVersion in record ({meta['resourceVersion']}). "
                        "The object might have been modified"
                    ),
                )
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return present(rtype, old)
                marked = copy.deepcopy(old)
                marked["metadata"].update(deletionTimestamp=fields.now(), deletionGracePeriodSeconds=0)
                return self._store(rtype, old, marked, dry_run=dry_run)
            if dry_run:
                return present(rtype, old)
            gone = self._remove(rtype, old)
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            gone.setdefault("status", {})["phase"] = "Terminating"
        if (rtype.group, rtype.plural) in _DELETE_RETURNS_OBJECT:
            return present(rtype, gone)
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**_details(rtype, name), "uid": meta["uid"]},
        }

    def delete_collection(
        self,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """DELETE on a collection: delete what the selectors match; answers the list of deleted objects."""
        with self.lock:
            selected = self.list_response(
                rtype, namespace, label_selector=label_selector, field_selector=field_selector
            )
            for item in selected["items"]:
                meta = item["metadata"]
                self.delete(rtype, meta.get("namespace"), meta["name"], dry_run=dry_run)
            return selected
