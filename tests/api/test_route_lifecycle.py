"""A route through the API from request to deletion: each call's answer and the rows it leaves behind."""

import yaml

from core.models import AuditEvent
from routes.models import Review, Route, RouteRevision

from .conftest import route_body, url


def test_create_answers_201_with_the_route_pending_review(api, alice):
    response = api(alice).post(url(), route_body(host="Cart.Shop.Example.com."), format="json")

    assert response.status_code == 201
    body = response.json()
    route = Route.objects.get()
    assert response["Location"].endswith(f"/api/v1/routes/{route.pk}/")
    assert body["id"] == str(route.pk)
    assert {k: body[k] for k in ("name", "team", "cluster", "namespace", "host", "path", "path_type")} == {
        "name": "cart",
        "team": "shop",
        "cluster": "prod-eu",
        "namespace": "shop",
        "host": "cart.shop.example.com",
        "path": "/",
        "path_type": "Prefix",
    }
    assert body["backend"] == {
        "service_name": "cart",
        "service_port": 8080,
        "target_port": None,
        "selector": None,
        "service_type": None,
        "external_name": None,
    }
    assert body["tls"] == {"mode": "cert-manager", "issuer": None, "secret_name": None}
    assert (body["revision"], body["approved_revision"], body["applied_revision"]) == (1, None, None)
    assert (body["approval"], body["sync"], body["health"]) == ("pending", "Unknown", "Unknown")
    assert body["url"] == "https://cart.shop.example.com/"
    assert body["created_by"] == "alice"
    assert set(body["status"]) >= {"conditions", "address", "certificate", "endpoints", "last_synced_at"}


def test_dry_run_renders_the_objects_and_saves_nothing(api, alice):
    response = api(alice).post(url() + "?dry_run=true", route_body(), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert [o["kind"] for o in body["manifests"]] == ["Ingress", "Certificate"]
    assert list(yaml.safe_load_all(body["yaml"])) == body["manifests"]
    assert not Route.objects.exists()
    assert not AuditEvent.objects.exists()


def test_patch_makes_a_new_revision_and_keeps_the_approved_one_live(api, alice, approved_route):
    response = api(alice).patch(url(approved_route), {"path": "/v2", "backend": {"service_port": 9090}}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["revision"], body["approved_revision"], body["approval"]) == (2, 1, "pending")
    assert body["path"] == "/v2"
    assert body["backend"]["service_name"] == "cart"  # merged over the latest revision
    assert body["backend"]["service_port"] == 9090
    assert RouteRevision.objects.filter(route=approved_route).count() == 2


def test_patch_with_the_same_spec_makes_no_revision(api, alice, approved_route):
    response = api(alice).patch(url(approved_route), {"path": "/"}, format="json")

    assert response.json()["revision"] == 1


def test_approve_records_the_review(api, submit, pat):
    route = submit()

    response = api(pat).post(url(route, "approve"), {"comment": "looks good"}, format="json")

    assert response.status_code == 200
    assert (response.json()["approval"], response.json()["approved_revision"]) == ("approved", 1)
    review = Review.objects.get(route=route)
    assert (review.decision, review.reviewer, review.comment) == ("approved", pat, "looks good")


def test_reject_keeps_the_live_revision(api, alice, approved_route, pat):
    api(alice).patch(url(approved_route), {"path": "/v2"}, format="json")

    response = api(pat).post(url(approved_route, "reject"), {"comment": "path clash"}, format="json")

    assert response.status_code == 200
    assert (response.json()["approval"], response.json()["approved_revision"]) == ("rejected", 1)


def test_requester_cannot_approve_own_revision(api, quinn, shop, cluster):
    route = api(quinn).post(url(), route_body(), format="json").json()

    response = api(quinn).post(f"/api/v1/routes/{route['id']}/approve/", {}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "You requested this revision, so another platform engineer has to review it."}


def test_delete_requests_deletion_and_keeps_the_host_claim(api, alice, approved_route):
    response = api(alice).delete(url(approved_route))

    assert response.status_code == 202
    assert response.json()["deletion_requested_at"] is not None
    assert Route.objects.get(pk=approved_route.pk).deletion_requested_at is not None
    assert api(alice).get("/api/v1/host-claims/cart.shop.example.com/").status_code == 200
    listed = api(alice).get(url()).json()["results"]
    assert [(r["id"], r["deletion_requested_at"] is not None) for r in listed] == [(str(approved_route.pk), True)]


def test_deleting_a_never_approved_route_removes_it_at_once(api, alice, submit):
    route = submit()

    response = api(alice).delete(url(route))

    assert response.json()["deleted_at"] is not None


def test_manifests_are_yaml_by_default_and_json_on_request(api, alice, approved_route):
    as_yaml = api(alice).get(url(approved_route, "manifests"))
    as_json = api(alice).get(url(approved_route, "manifests") + "?format=json")

    assert as_yaml["Content-Type"].startswith("application/yaml")
    objects = list(yaml.safe_load_all(as_yaml.content))
    assert objects == as_json.json()
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    assert ingress["metadata"]["labels"]["portico.dev/route"] == str(approved_route.pk)


def test_manifests_of_an_unapproved_route_need_a_revision(api, alice, submit):
    route = submit()

    missing = api(alice).get(url(route, "manifests"))
    named = api(alice).get(url(route, "manifests") + "?revision=1")
    unknown = api(alice).get(url(route, "manifests") + "?revision=5")

    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert "no approved revision" in missing.json()["detail"]
    assert named.status_code == 200
    assert unknown.json() == {"detail": "This route has no revision 5."}


def test_diff_compares_the_pending_revision_with_the_approved_one(api, alice, approved_route):
    api(alice).patch(url(approved_route), {"path": "/v2"}, format="json")

    body = api(alice).get(url(approved_route, "diff")).json()

    assert (body["revision"], body["pending"]) == (2, True)
    assert body["baseline"] in ("live", "approved")
    assert "-      - path: /\n" in body["diff"] or "path: /v2" in body["diff"]
    assert "+" in body["diff"]


def test_status_reports_sync_health_and_revisions(api, alice, approved_route):
    body = api(alice).get(url(approved_route, "status")).json()

    assert (body["sync"], body["health"], body["approval"]) == ("OutOfSync", "Progressing", "approved")
    assert body["revisions"] == {"latest": 1, "approved": 1, "applied": None}
    assert body["settled"] is False


def test_history_lists_revisions_reviews_and_events(api, alice, approved_route):
    api(alice).patch(url(approved_route), {"path": "/v2"}, format="json")

    body = api(alice).get(url(approved_route, "history")).json()

    assert [r["number"] for r in body["revisions"]] == [2, 1]
    assert [(r["decision"], r["reviewer"]) for r in body["reviews"]] == [("approved", "pat")]
    assert [e["verb"] for e in body["events"]] == ["edit", "approve", "create"]


def test_list_filters_and_paginates(api, alice, submit):
    for i in range(3):
        submit(f"r{i}", host=f"r{i}.shop.example.com")

    page = api(alice).get(url() + "?page_size=2").json()
    by_host = api(alice).get(url() + "?host=R1.shop.example.com.").json()
    by_search = api(alice).get(url() + "?q=r2").json()

    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [r["name"] for r in by_host["results"]] == ["r1"]
    assert [r["name"] for r in by_search["results"]] == ["r2"]


def test_an_unknown_filter_value_is_a_400(api, alice):
    response = api(alice).get(url() + "?approval=maybe")

    assert response.status_code == 400
    assert list(response.json()) == ["approval"]
