"""Route options on the form: saved into the revision, refused on their field where the cluster's controller
cannot honour them, and filled in again when a route is edited."""

import pytest

from routes.models import Route

pytestmark = pytest.mark.django_db


def on_controller(cluster, controller: str):
    cluster.ingress_controller = controller
    cluster.save()


def test_options_from_the_form_go_into_the_revision(login, alice, cluster, form_data):
    on_controller(cluster, "k8s.io/ingress-nginx")

    response = login(alice).post(
        "/routes/new/",
        form_data(
            force_https="on", timeout_seconds="30", max_body_size_mb="", source_ranges="10.0.0.0/8, 192.0.2.0/24"
        ),
    )

    assert response.status_code == 302
    options = Route.objects.get().latest_spec.options
    assert options.force_https and options.timeout_seconds == 30 and options.max_body_size_mb is None
    assert options.source_ranges == ("10.0.0.0/8", "192.0.2.0/24")


def test_an_option_the_controller_cannot_honour_is_an_error_on_its_field(login, alice, cluster, form_data):
    on_controller(cluster, "haproxy.org/ingress-controller/haproxy")

    response = login(alice).post("/routes/new/", form_data(max_body_size_mb="10"))

    assert response.status_code == 200
    assert "no per-Ingress body size annotation" in response.context["form"].errors["max_body_size_mb"][0]
    assert not Route.objects.exists()


def test_the_form_explains_what_each_cluster_can_honour(login, alice, cluster):
    on_controller(cluster, "traefik.io/ingress-controller")

    page = login(alice).get("/routes/new/").content.decode()

    assert "Traefik (its own annotations)" in page and "Traefik has no per-route timeout" in page
    assert "Why not pod IPs" in page and "Why not NodePort" in page


def test_editing_a_route_shows_its_options(login, alice, cluster, form_data):
    on_controller(cluster, "k8s.io/ingress-nginx")
    client = login(alice)
    client.post("/routes/new/", form_data(timeout_seconds="45", source_ranges="10.0.0.0/8"))
    route = Route.objects.get()

    form = client.get(f"/routes/{route.pk}/edit/").context["form"]

    assert form.initial["timeout_seconds"] == 45 and form.initial["source_ranges"] == "10.0.0.0/8"
