"""Every template in the repository is used: a view, tag or admin names it in Python, another used template
includes or extends it, or Django loads it by a name of its own (error pages, the sign-in page)."""

import ast
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import LoginView
from django.views import defaults

ROOT = Path(settings.BASE_DIR)
# Names Django itself asks for, checked against Django below so that the list cannot go stale.
BY_CONVENTION = {
    defaults.ERROR_403_TEMPLATE_NAME: "django.views.defaults.permission_denied",
    defaults.ERROR_404_TEMPLATE_NAME: "django.views.defaults.page_not_found",
    LoginView.template_name: "django.contrib.auth.views.LoginView",
}
TEMPLATE_NAME = re.compile(r"^[\w./-]+\.(?:html|txt)$")
INCLUDES = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")
SKIPPED_DIRS = {".venv", ".git", "tests", "node_modules", "var"}


def template_dirs() -> list[Path]:
    dirs = [Path(d) for config in settings.TEMPLATES for d in config.get("DIRS", [])]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    # Installed packages' templates are not the repository's, even when the venv sits inside the checkout.
    return [
        d
        for d in dirs
        if d.is_dir()
        and d.resolve().is_relative_to(ROOT.resolve())
        and not SKIPPED_DIRS & set(d.resolve().relative_to(ROOT.resolve()).parts)
    ]


def templates() -> dict[str, Path]:
    """Template name -> file, for the templates this repository holds."""
    found = {}
    for directory in template_dirs():
        for path in directory.rglob("*"):
            if path.is_file() and path.suffix in {".html", ".txt"}:
                found.setdefault(path.relative_to(directory).as_posix(), path)
    return found


def python_files():
    for path in ROOT.rglob("*.py"):
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts[:-1]):
            yield path


def named_in_python() -> set[str]:
    """Every string constant in the project's own Python (tests aside) that looks like a template name."""
    names = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TEMPLATE_NAME.match(node.value):
                names.add(node.value)
    return names


def used_templates(available: dict[str, Path], roots: set[str]) -> set[str]:
    """Templates reachable from ``roots`` (names Python uses, and the conventional ones) by include and extends."""
    used, todo = set(), [name for name in roots if name in available]
    while todo:
        name = todo.pop()
        if name in used:
            continue
        used.add(name)
        todo += [inner for inner in INCLUDES.findall(available[name].read_text()) if inner in available]
    return used


def test_conventional_template_names_are_the_ones_django_loads():
    assert set(BY_CONVENTION) == {"403.html", "404.html", "registration/login.html"}


def test_the_scan_sees_the_project_templates_and_their_users():
    available = templates()
    assert "base.html" in available and "routes/htmx/_status.html" in available
    assert {"routes/route_detail.html", "clusters/cluster_list.html"} <= named_in_python()


def test_every_template_is_used():
    available = templates()

    unused = sorted(set(available) - used_templates(available, named_in_python() | set(BY_CONVENTION)))

    assert not unused, f"templates nothing renders, includes or extends (delete them or use them): {unused}"


def test_a_template_only_an_unused_template_includes_is_unused(tmp_path):
    (tmp_path / "orphan.html").write_text('{% include "leaf.html" %}')
    (tmp_path / "leaf.html").write_text("leaf")
    (tmp_path / "page.html").write_text('{% extends "base.html" %}')
    available = {path.name: path for path in tmp_path.iterdir()}

    assert used_templates(available, {"page.html"}) == {"page.html"}
    assert used_templates(available, {"orphan.html"}) == {"orphan.html", "leaf.html"}
