"""Team and TeamNamespace move here from the "portal" app (now core). Their tables were created by
core/migrations/0001_initial.py and keep their names (Meta.db_table), so only Django's state moves: no row is
copied. Content types are relabelled so permissions and admin history follow the models."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import teams.models
from core.relabel import relabel


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("portal", "0005_team_slug_is_a_dns_label"),
        ("clusters", "0005_cluster_synced_output"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("slug", models.SlugField(max_length=63, unique=True, validators=[teams.models.validate_team_slug])),
                        ("name", models.CharField(max_length=200)),
                        ("domains", models.JSONField(blank=True, default=list)),
                        ("external_domains", models.JSONField(blank=True, default=list, help_text='DNS suffixes the team\'s external (ExternalName) backends may point at, such as "partner.example.com" or a private zone such as "corp.internal". Empty: any public DNS name.')),
                        ("allow_node_port", models.BooleanField(default=False)),
                        ("allow_load_balancer", models.BooleanField(default=False)),
                        ("allow_plain_http", models.BooleanField(default=False)),
                        ("auto_approve", models.BooleanField(default=False, help_text="Approve this team's revisions automatically when every check passes.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("members", models.ManyToManyField(blank=True, related_name="teams", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "portal_team",
                        "ordering": ["slug"],
                    },
                ),
                migrations.CreateModel(
                    name="TeamNamespace",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("namespace", models.CharField(max_length=63)),
                        ("cluster", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="team_namespaces", to="clusters.cluster")),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="namespaces", to="teams.team")),
                    ],
                    options={
                        "db_table": "portal_teamnamespace",
                        "ordering": ["cluster__name", "namespace"],
                        "constraints": [models.UniqueConstraint(fields=("team", "cluster", "namespace"), name="unique_team_namespace")],
                    },
                ),
            ],
        ),
        migrations.RunPython(*relabel("portal", "teams", ["team", "teamnamespace"])),
    ]
