"""Filter backends shared by the API's lists."""

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend


class NamedFilterBackend(DjangoFilterBackend):
    """django-filter's backend, without building the filterset (a form, and a deep copy of every filter and form
    field) when no query parameter names one of its filters: such a filterset is valid and leaves the queryset as
    it is. A parameter starting with a filter's name (``host_min``, as multi-value widgets name theirs) builds it."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            names = tuple(filterset_class.base_filters)
            if not any(param.startswith(names) for param in request.query_params):
                return queryset
        return super().filter_queryset(request, queryset, view)
