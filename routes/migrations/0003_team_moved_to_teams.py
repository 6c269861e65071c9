"""Team moved from the "portal" app to "teams" (teams/migrations/0001_initial.py) with its table kept: the
foreign keys point at the same table, so only Django's state changes."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("routes", "0002_revision_superseded"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="route",
                    name="team",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="routes", to="teams.team"),
                ),
                migrations.AlterField(
                    model_name="hostclaim",
                    name="team",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="host_claims", to="teams.team"),
                ),
            ],
        ),
    ]
