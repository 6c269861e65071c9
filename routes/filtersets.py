"""Route filters, shared by the API list and the route list page."""

from typing import Any

import django_filters
from django.db.models import Q

from clusters.models import Cluster
from core.names import normalize_host
from teams.models import Team

from .choices import ROUTE_APPROVAL_CHOICES, HealthChoices, SyncChoices
from .models import Route
from .views.widgets import QuickSelect


class ListedChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The choices read with one plain query: Django's ``iterator()`` opens a server-side cursor on PostgreSQL
    (DECLARE, FETCH, CLOSE: three round trips) to save memory on a long list, more than a select costs."""

    def __iter__(self):
        field: Any = self.field  # django-filter's ModelChoiceField, with a null choice
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListedChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedChoiceIterator


class ListedChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedChoiceField


class RouteFilterSet(django_filters.FilterSet):
    # "Any" is the empty choice of every choice filter on the route list page.
    # The route list page renders the selects (QuickSelect: Django's markup, written out without templates).
    team = ListedChoiceFilter(
        field_name="team", to_field_name="slug", queryset=Team.objects.all(), empty_label="Any", widget=QuickSelect
    )
    cluster = ListedChoiceFilter(
        field_name="cluster",
        to_field_name="name",
        queryset=Cluster.objects.only("pk", "name"),
        empty_label="Any",
        widget=QuickSelect,
    )
    namespace = django_filters.CharFilter()
    host = django_filters.CharFilter(method="filter_host")
    approval = django_filters.ChoiceFilter(choices=ROUTE_APPROVAL_CHOICES, empty_label="Any", widget=QuickSelect)
    sync = django_filters.ChoiceFilter(choices=SyncChoices.choices, empty_label="Any", widget=QuickSelect)
    health = django_filters.ChoiceFilter(choices=HealthChoices.choices, empty_label="Any", widget=QuickSelect)
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Route
        fields = ["team", "cluster", "namespace", "host", "approval", "sync", "health", "q"]

    def filter_host(self, queryset, name, value):
        return queryset.filter(host=normalize_host(value))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(host__icontains=value)
            | Q(path__icontains=value)
            | Q(namespace__icontains=value)
        )
