"""scripts/kube-bins.sh: builds once into a cache keyed by the pinned versions, never takes an interrupted build as
done, and says what to do without Go. A stand-in `go` on PATH plays the compiler, so no real build runs here."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "kube-bins.sh"

FAKE_GO = """#!/bin/sh
# A stand-in for `go build ... -o OUT .`: writes OUT as a program that prints a version, and logs each call.
echo "$PWD" >> "$GO_CALLS"
if [ -n "$FAIL_IN" ] && [ "${PWD##*/}" = "$FAIL_IN" ]; then echo "compile error" >&2; exit 2; fi
while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done
printf '#!/bin/sh\\necho fake %s\\n' "${out##*/}" > "$out"
chmod +x "$out"
"""


@pytest.fixture
def env(tmp_path):
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(FAKE_GO)
    (bin_dir / "go").chmod(0o755)
    calls = tmp_path / "go-calls"
    calls.touch()
    return {
        **os.environ,
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PORTICO_KUBE_CACHE": str(tmp_path / "cache"),
        "GO_CALLS": str(calls),
        "FAIL_IN": "",
    }


def run(env, *args):
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_builds_once_into_a_folder_named_after_the_versions(env, tmp_path):
    first = run(env)

    assert first.returncode == 0, first.stderr
    folder = Path(first.stdout.strip())
    assert folder.parent.parent == tmp_path / "cache" and folder.name == "bin"
    assert folder.parent.name.startswith("v1.37.2-etcdv3.7.3-")
    assert sorted(p.name for p in folder.iterdir()) == ["etcd", "kube-apiserver"]
    assert run(env, "--print-dir").stdout == first.stdout
    calls = (tmp_path / "go-calls").read_text().split()
    assert [Path(c).name for c in calls] == ["etcd", "apiserver"]

    second = run(env)

    assert second.returncode == 0 and second.stdout == first.stdout
    assert (tmp_path / "go-calls").read_text().split() == calls  # nothing built again


def test_an_interrupted_build_is_not_taken_as_done(env, tmp_path):
    failed = run({**env, "FAIL_IN": "apiserver"})

    assert failed.returncode != 0
    cache = tmp_path / "cache"
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".lock")] == []  # no folder, no leftovers
    assert not Path(run(env, "--print-dir").stdout.strip()).exists()

    again = run(env)

    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in Path(again.stdout.strip()).iterdir()) == ["etcd", "kube-apiserver"]


def test_without_go_it_says_how_to_get_the_binaries(env, tmp_path):
    (tmp_path / "fake-bin" / "go").unlink()

    result = run(env)

    assert result.returncode == 1
    assert "Go is not installed" in result.stderr and "make kube-bins" in result.stderr


def test_the_data_path_set_builds_once_into_a_folder_of_its_own(env, tmp_path):
    kube = run(env)
    first = run(env, "--traffic")

    assert first.returncode == 0, first.stderr
    folder = Path(first.stdout.strip())
    assert folder.parent.parent == tmp_path / "cache" and folder != Path(kube.stdout.strip())
    assert folder.parent.name.startswith("traefikv3.6.12-cert-managerv1.21.2-")
    assert sorted(p.name for p in folder.iterdir()) == ["cert-manager-controller", "traefik"]
    assert run(env, "--traffic", "--print-dir").stdout == first.stdout
    calls = (tmp_path / "go-calls").read_text().split()
    assert [Path(c).name for c in calls] == ["etcd", "apiserver", "cert-manager", "traefik"]

    assert run(env, "--traffic").stdout == first.stdout
    assert (tmp_path / "go-calls").read_text().split() == calls  # nothing built again


def test_an_interrupted_data_path_build_is_not_taken_as_done(env, tmp_path):
    failed = run({**env, "FAIL_IN": "traefik"}, "--traffic")

    assert failed.returncode != 0
    assert not Path(run(env, "--traffic", "--print-dir").stdout.strip()).exists()
    assert sorted(Path(run(env, "--traffic").stdout.strip()).iterdir()) != []
