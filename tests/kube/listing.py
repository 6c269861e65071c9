"""Lists: selection by label and field selectors, in the API server's order, in pages with continue tokens."""

import base64
import binascii
import json

from tests.kube.api_errors import ApiError
from tests.kube.resources import ResourceType, present
from tests.kube.selectors import (
    Requirement,
    SelectorError,
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)


class Listing:
    """Reads of many objects for `ObjectStore`: selections and list responses."""

    def _matching(
        self,
        rtype: ResourceType,
        namespace: str | None,
        labels: list[Requirement],
        field_terms: list[tuple[str, str, str]],
    ) -> list[tuple[tuple[str, str], dict]]:
        """(sort key, stored object) of the live objects that match, in the API server's order
        (namespace, then name). The stored dicts are never modified in place, so no copies here."""
        wanted = (rtype.group, rtype.plural)
        with self.lock:
            found = [
                ((ns or "", name), obj.raw)
                for (resource, ns, name), obj in self.objects.items()
                if (resource.group, resource.plural) == wanted
                and not obj.deleted
                and (namespace is None or ns == namespace)
            ]
        found.sort(key=lambda item: item[0])
        return [
            (key, raw)
            for key, raw in found
            if labels_match(labels, (raw.get("metadata") or {}).get("labels")) and fields_match(field_terms, raw)
        ]

    def select(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        labels: list[Requirement] | None = None,
        field_terms: list[tuple[str, str, str]] | None = None,
    ) -> list[dict]:
        """Copies of the live objects of a type that match, in the API server's order."""
        return [present(rtype, raw) for _, raw in self._matching(rtype, namespace, labels or [], field_terms or [])]

    def list_response(
        self,
        rtype: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: str | int | None = None,
        continue_token: str | None = None,
    ) -> dict:
        """A list response (`kind: XxxList`), one page of it when `limit` is given.

        Pages follow the current state (a real server serves every page from the first page's
        snapshot); the order is stable, so no object is listed twice or skipped unless it changes.
        """
        try:
            labels = parse_label_selector(label_selector)
            field_terms = parse_field_selector(field_selector)
        except SelectorError as exc:
            raise ApiError.bad_request(str(exc)) from None
        try:
            page_size = int(limit) if limit not in (None, "") else 0
        except ValueError:
            raise ApiError.bad_request(f"limit: Invalid value: {limit!r}: must be an integer") from None
        with self.lock:
            matching = self._matching(rtype, namespace, labels, field_terms)
            list_version = self._resource_version
        if continue_token:
            list_version, start = _decode_continue(continue_token)
            matching = [(key, raw) for key, raw in matching if key > start]
        metadata: dict = {"resourceVersion": str(list_version)}
        if 0 < page_size < len(matching):
            remaining = len(matching) - page_size
            matching = matching[:page_size]
            metadata["continue"] = _encode_continue(list_version, matching[-1][0])
            if not labels and not field_terms:  # the API server only counts what remains without selectors
                metadata["remainingItemCount"] = remaining
        items = [present(rtype, raw) for _, raw in matching]
        if rtype.builtin:  # kube-apiserver leaves apiVersion and kind out of built-in list items
            for item in items:
                del item["apiVersion"], item["kind"]
        return {"kind": f"{rtype.kind}List", "apiVersion": rtype.api_version, "metadata": metadata, "items": items}


def _encode_continue(resource_version: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": resource_version, "start": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError):
        raise ApiError.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None
