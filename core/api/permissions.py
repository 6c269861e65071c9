"""Who may call what. Which objects a user sees is decided by the querysets (``visible_to``, ``teams_of``)."""

from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from core.access import is_platform


class IsPlatformOrReadOnly(permissions.IsAuthenticated):
    """Any signed-in user reads; only platform engineers write (clusters and teams)."""

    message = "Only platform engineers can change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or is_platform(request.user)
