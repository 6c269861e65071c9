"""The API route list read as rows, not models (docs/architecture.md, "Pages and API under load").

A page of the list is read with ``values_list``: the route's own columns, the few related columns the JSON shows
(team slug, cluster name and last sync, author) and the latest spec (``with_latest_revision``). Each row becomes a
``RouteRow``, which has the attributes ``RouteSerializer`` reads and takes ``url``, ``latest_spec`` and
``checked_at`` from ``Route`` itself, so the JSON is the one a ``Route`` gives. Building 50 routes and their 150
related models (Django's ``Model.__init__``, deferred-field classes, related populators) cost more than reading
the rows.

tests/api/test_lean_representation.py checks each listed route's JSON against DRF's serializer over the model.
"""

from typing import Any

from django.db.models.query import ValuesListIterable

from routes.models import Route, RouteRevision

# Every column of the route (attribute names: ``team_id``, not ``team``), then the related ones the JSON shows.
ROUTE_ATTRS = tuple(field.attname for field in Route._meta.concrete_fields)
RELATED = ("team__slug", "cluster__name", "cluster__last_synced_at", "created_by__username")
LATEST_SPEC = ("_latest_spec_data", "_latest_spec_number")


class TeamRef:
    __slots__ = ("slug",)

    def __init__(self, slug: str) -> None:
        self.slug = slug


class ClusterRef:
    __slots__ = ("last_synced_at", "name")

    def __init__(self, name: str, last_synced_at: Any) -> None:
        self.name = name
        self.last_synced_at = last_synced_at


class UserRef:
    __slots__ = ("username",)

    def __init__(self, username: str) -> None:
        self.username = username


class RouteRow:
    """One listed route: its columns as attributes, its team, cluster and author as the columns shown of them."""

    __slots__ = (*ROUTE_ATTRS, "team", "cluster", "created_by", *LATEST_SPEC, "_latest_spec_cache", "_revision_cache")

    # Route's own code, so a row shows what the model shows.
    url = Route.url
    latest_spec = Route.latest_spec
    checked_at = Route.checked_at

    def __init__(self, values: tuple) -> None:
        for attr, value in zip(ROUTE_ATTRS, values, strict=False):
            setattr(self, attr, value)
        team, cluster, cluster_synced, author, spec_data, spec_number = values[len(ROUTE_ATTRS) :]
        self.team = TeamRef(team)
        self.cluster = ClusterRef(cluster, cluster_synced)
        self.created_by = UserRef(author)
        self._latest_spec_data = spec_data
        self._latest_spec_number = spec_number

    @property
    def pk(self) -> Any:
        return self.id  # type: ignore[attr-defined]

    def revision_obj(self, number: int) -> RouteRevision:
        """What ``Route.latest_spec`` reads when the row came without its latest spec."""
        return RouteRevision.objects.get(route_id=self.pk, number=number)


class RouteRowIterable(ValuesListIterable):
    def __iter__(self):
        for values in super().__iter__():
            yield RouteRow(values)


def as_rows(routes):
    """``routes`` (a Route queryset) read as ``RouteRow``s with their latest spec."""
    rows = routes.with_latest_revision().values_list(*ROUTE_ATTRS, *RELATED, *LATEST_SPEC)
    rows._iterable_class = RouteRowIterable
    return rows


class RouteListing:
    """What the API list's paginator pages: counted as the routes (no join the count does not need), each page
    read as rows."""

    def __init__(self, routes) -> None:
        self.routes = routes
        self.ordered = routes.ordered

    def count(self) -> int:
        return self.routes.count()

    def __getitem__(self, index: slice) -> list[RouteRow]:
        return list(as_rows(self.routes)[index])
