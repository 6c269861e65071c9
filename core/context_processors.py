from django.http import HttpRequest

from core.access import is_platform


def portal(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {"is_platform": bool(user and is_platform(user))}
