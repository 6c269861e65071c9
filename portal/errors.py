"""Error reports that keep secrets out even with DEBUG on, and the errors the write services raise."""
from django.core.exceptions import ValidationError
from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django cleanses ``sensitive_variables`` frames (the kube client's: kubeconfig, bearer token) and
    sensitive settings only when DEBUG is off. Portico cleanses them always, so a laptop running `make run`
    with DEBUG on, or a screenshot of its debug page, does not show a cluster's credentials."""

    def is_active(self, request):
        return True


class ConflictError(ValidationError):
    """A write refused because of other objects (a name already taken, an object still in use), not because
    the input is malformed: the API answers 409 instead of 400. Carries messages per field like its parent."""
