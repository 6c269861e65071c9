"""Team, TeamNamespace, TeamWebhook and NotificationDelivery now belong to the teams and notifications apps
(their 0001 migrations), which keep these tables; this app forgets them in Django's state only, so no table is
dropped and no row is lost. The audit trail's team now points at teams.Team, the same table."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0005_team_slug_is_a_dns_label"),
        ("teams", "0001_initial"),
        ("notifications", "0001_initial"),
        ("routes", "0003_team_moved_to_teams"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="team",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="teams.team"),
                ),
                migrations.DeleteModel(name="NotificationDelivery"),
                migrations.DeleteModel(name="TeamWebhook"),
                migrations.DeleteModel(name="TeamNamespace"),
                migrations.DeleteModel(name="Team"),
            ],
        ),
    ]
