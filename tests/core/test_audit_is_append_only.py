import pytest

from core.models import AuditEvent


@pytest.mark.django_db
def test_audit_events_cannot_be_changed_or_deleted(approved_route):
    event = AuditEvent.objects.first()
    event.verb = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="forged")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(verb="forged").count() == 0
