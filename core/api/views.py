"""The base of every API viewset: authentication, JSON bodies, documented errors, and Django's errors from the
service layers mapped to DRF's (400 with messages per field, 409 for conflicts, 403)."""

from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import ConflictError
from core.signin import ThrottledTokenAuthentication

from .errors import Conflict
from .parsers import JSONParser
from .schema import PorticoAutoSchema

_M = TypeVar("_M", bound=models.Model)


class APIViewSet(viewsets.GenericViewSet[_M]):
    """What every endpoint shares: authentication, JSON bodies, error mapping and documented errors."""

    # Token first: its WWW-Authenticate header is what makes DRF answer 401 (not 403) without credentials.
    # Failed tokens count against the anonymous rate (core/signin.py).
    authentication_classes = [ThrottledTokenAuthentication, SessionAuthentication]
    parser_classes = [JSONParser]
    schema = PorticoAutoSchema()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot compare text containing NUL, so such a lookup would fail inside the database.
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()
        if any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.query_params.lists()
        ):
            raise exceptions.ParseError("Query parameters must not contain NUL characters.")

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(self.api_exception(exc))

    def api_exception(self, exc: Exception) -> Exception:
        """The DRF exception a service layer's exception answers as (``exc`` itself when DRF knows it)."""
        if isinstance(exc, DjangoPermissionDenied):
            return exceptions.PermissionDenied(str(exc) or None)
        if isinstance(exc, DjangoValidationError):
            # Cluster and team services (clusters.services, teams.services) judge writes with Django's error.
            errors = {
                api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
                for field, messages in exc.message_dict.items()
            }
            return Conflict(errors) if isinstance(exc, ConflictError) else exceptions.ValidationError(errors)
        return exc
