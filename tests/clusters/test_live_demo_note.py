"""The clusters page says where `make run`'s live demo cluster stands (clusters/live_demo.py)."""

import subprocess

import pytest

from clusters import live_demo
from clusters.models import Cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, alice, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    def _page():
        client.force_login(alice)
        response = client.get("/clusters/")
        assert response.status_code == 200
        return response.content.decode()

    return _page


def test_while_the_binaries_build_the_page_says_so_and_how_long_it_usually_takes(page):
    live_demo.write_status(live_demo.BUILDING)

    html = page()

    assert 'id="live-demo-note"' in html
    assert "The live demo cluster is being built" in html
    assert "about 6 minutes on a 2-core machine" in html


def test_without_go_the_page_says_how_to_get_the_binaries(page):
    live_demo.write_status(live_demo.NO_GO)

    html = page()

    assert "Go is not installed here" in html
    assert "`make kube-bins`" in html
    assert "PORTICO_KUBE_BIN_DIR" in html
    assert "notice-warn" in html


def test_once_up_the_page_says_what_is_real_and_what_is_simulated(page):
    live_demo.write_status(live_demo.READY)

    html = page()

    assert "real kube-apiserver" in html
    assert "manage.py demo_controllers" in html
    assert "No traffic flows" in html


def test_a_live_cluster_left_from_an_earlier_run_is_explained_while_this_one_is_not_up(page):
    Cluster.objects.create(name="live", mode="kubernetes", reachable=False)
    live_demo.write_status(live_demo.NO_GO)

    assert "registered by an earlier `make run`; its server is not running now" in page()

    live_demo.write_status(live_demo.READY)
    assert "registered by an earlier" not in page()


def test_a_note_left_by_a_make_run_that_is_gone_is_not_shown(page):
    child = subprocess.Popen(["true"])  # its process id runs no more once waited for
    child.wait()
    live_demo.write_status(live_demo.BUILDING, pid=child.pid)

    assert 'id="live-demo-note"' not in page()


def test_without_make_run_there_is_no_note(page):
    assert 'id="live-demo-note"' not in page()
