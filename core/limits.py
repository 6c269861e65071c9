"""Request bodies larger than Django's limit are answered 413 before anything reads them.

Django refuses a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when something reads it (``request.body``,
``request.POST``), by raising ``RequestDataTooBig``, which becomes a bare 400 page, or a debug page with
DEBUG on, wherever the read happens: in DRF's parsing, in a form view, in the CSRF check. This middleware
looks at ``Content-Length`` first, so every path answers the same documented 413 (docs/api.md, "Errors"):
JSON on the API, a page elsewhere. Portico takes no file uploads, so no body legitimately exceeds the limit.
A body sent without ``Content-Length`` is never read past its declared length of zero by Django.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"


def body_too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"The request body is too large: the limit is {limit:,} bytes."


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._too_large(request):
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": body_too_large_message()}, status=413)
            return render(request, "413.html", {"message": body_too_large_message()}, status=413)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> bool:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = request.META.get("CONTENT_LENGTH") or ""
        # A malformed length is Django's to refuse (it reads such a body as empty).
        return limit is not None and length.isascii() and length.isdigit() and int(length) > limit
