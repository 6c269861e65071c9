from django.db import migrations, models
from django.db.models import F


def mark_superseded(apps, schema_editor):
    """Revisions left pending under a newer one can never be decided: say so (routes.choices.ApprovalChoices)."""
    RouteRevision = apps.get_model("routes", "RouteRevision")
    RouteRevision.objects.filter(approval="pending", number__lt=F("route__revision")).update(approval="superseded")


def mark_pending(apps, schema_editor):
    RouteRevision = apps.get_model("routes", "RouteRevision")
    RouteRevision.objects.filter(approval="superseded").update(approval="pending")


class Migration(migrations.Migration):

    dependencies = [
        ('routes', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='review',
            name='decision',
            field=models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('superseded', 'Superseded')], max_length=10),
        ),
        migrations.AlterField(
            model_name='routerevision',
            name='approval',
            field=models.CharField(choices=[('pending', 'Pending review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('superseded', 'Superseded')], default='pending', max_length=10),
        ),
        migrations.RunPython(mark_superseded, mark_pending),
    ]
