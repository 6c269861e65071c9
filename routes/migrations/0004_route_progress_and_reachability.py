from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routes", "0003_team_moved_to_teams"),
    ]

    operations = [
        migrations.AddField(
            model_name="route",
            name="progressing_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="route",
            name="reachability",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
