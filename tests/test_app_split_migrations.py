"""The split of the old "portal" app into core, teams and notifications moves no row: a database migrated by the
old graph, holding teams, namespaces, members, routes, claims, webhooks, deliveries and audit events, is migrated
to the new graph and every row is found through the new models, with its relations and its permissions."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD = [
    ("portal", "0005_team_slug_is_a_dns_label"),
    ("clusters", "0005_cluster_synced_output"),
    ("routes", "0002_revision_superseded"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("contenttypes", "0002_remove_content_type_name"),
]


def migrate(targets, *, unapply=()):
    """Migrate to ``targets`` (with the apps in ``unapply`` unapplied) and return the models as they were then."""
    executor = MigrationExecutor(connection)
    executor.migrate([*targets, *((app, None) for app in unapply)])
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_split_are_found_after_it():
    old = migrate(OLD, unapply=["teams", "notifications"])
    User = old.get_model("auth", "User")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    alice = User.objects.create(username="alice")
    cluster = old.get_model("clusters", "Cluster").objects.create(name="prod", mode="directory", directory="prod")
    team = old.get_model("portal", "Team").objects.create(slug="shop", name="Shop", domains=["shop.example.com"])
    team.members.add(alice)
    old.get_model("portal", "TeamNamespace").objects.create(team=team, cluster=cluster, namespace="shop")
    webhook = old.get_model("portal", "TeamWebhook").objects.create(
        team=team, url="https://hooks.example.com/", secret_encrypted="x", events=["approved"]
    )
    old.get_model("portal", "NotificationDelivery").objects.create(
        team=team, webhook=webhook, target=webhook.url, event="approved", payload={"event": "approved"}
    )
    old.get_model("portal", "AuditEvent").objects.create(
        actor=alice,
        actor_name="alice",
        verb="create",
        object_type="team",
        object_id=str(team.pk),
        object_repr="shop",
        team=team,
    )
    route = old.get_model("routes", "Route").objects.create(
        team=team,
        cluster=cluster,
        namespace="shop",
        name="cart",
        host="cart.shop.example.com",
        path="/",
        created_by=alice,
    )
    old.get_model("routes", "HostClaim").objects.create(host="cart.shop.example.com", team=team)
    team_type, _ = ContentType.objects.get_or_create(app_label="portal", model="team")
    change_team, _ = Permission.objects.get_or_create(
        content_type=team_type, codename="change_team", defaults={"name": "Can change team"}
    )
    alice.user_permissions.add(change_team)

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    Team = new.get_model("teams", "Team")
    moved = Team.objects.get()
    assert (moved.pk, moved.slug, moved.domains) == (team.pk, "shop", ["shop.example.com"])
    assert list(moved.members.values_list("username", flat=True)) == ["alice"]
    assert list(moved.namespaces.values_list("cluster__name", "namespace")) == [("prod", "shop")]
    assert list(moved.webhooks.values_list("url", flat=True)) == ["https://hooks.example.com/"]
    delivery = new.get_model("notifications", "NotificationDelivery").objects.get()
    assert (delivery.team_id, delivery.webhook_id, delivery.event) == (team.pk, webhook.pk, "approved")
    event = new.get_model("portal", "AuditEvent").objects.get()
    assert (event.team_id, event.actor_name, event.verb) == (team.pk, "alice", "create")
    assert new.get_model("routes", "Route").objects.get().team_id == team.pk == route.team_id
    assert new.get_model("routes", "HostClaim").objects.get().team_id == team.pk
    relabelled = new.get_model("contenttypes", "ContentType").objects.get(pk=team_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("teams", "team")
    assert new.get_model("auth", "User").objects.get(username="alice").user_permissions.get().pk == change_team.pk
