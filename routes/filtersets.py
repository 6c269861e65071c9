"""Route filters, shared by the API list and the route list page."""

import django_filters
from django.db.models import Q

from clusters.models import Cluster
from core.names import normalize_host
from teams.models import Team

from .choices import ROUTE_APPROVAL_CHOICES, HealthChoices, SyncChoices
from .models import Route


class RouteFilterSet(django_filters.FilterSet):
    # "Any" is the empty choice of every choice filter on the route list page.
    team = django_filters.ModelChoiceFilter(
        field_name="team", to_field_name="slug", queryset=Team.objects.all(), empty_label="Any"
    )
    cluster = django_filters.ModelChoiceFilter(
        field_name="cluster", to_field_name="name", queryset=Cluster.objects.all(), empty_label="Any"
    )
    namespace = django_filters.CharFilter()
    host = django_filters.CharFilter(method="filter_host")
    approval = django_filters.ChoiceFilter(choices=ROUTE_APPROVAL_CHOICES, empty_label="Any")
    sync = django_filters.ChoiceFilter(choices=SyncChoices.choices, empty_label="Any")
    health = django_filters.ChoiceFilter(choices=HealthChoices.choices, empty_label="Any")
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
