"""The repository explains itself: code, tests and docs cite only documents that are in it, and every target the
Makefile declares exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".md", ".html", ".toml", ".yml", ".yaml", ".sh", ".txt", ".cfg", ".js", ".css"}
SKIPPED_DIRS = {".venv", ".git", ".hypothesis", "var", "node_modules", "__pycache__"}
# Design notes and reviews kept outside the repository (spelled in pieces so this file does not match itself).
OUTSIDE = re.compile(
    "|".join(
        [
            (r"\bDESIGN" r"(?:\.md)?\b"),
            (r"\bSTYLE" r"(?:\.md| rule)"),
            (r"\.\./" r"shared/"),
            (r"\breviews" r"/20\d\d"),
        ]
    )
)
CITED_DOC = re.compile(r"(?<![\w/.])((?:docs|tests/\w+|bench)/[\w./-]+\.md)\b")


def text_files():
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if (
            path.is_file()
            and (path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "Dockerfile", "run"})
            and not SKIPPED_DIRS & set(parts)
            and not parts[0].endswith(".egg-info")
        ):
            yield path


def test_nothing_cites_a_document_outside_the_repository():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]

    assert not found, "cite docs/*.md in the repository instead:\n" + "\n".join(found)


def test_every_cited_markdown_document_exists():
    missing = sorted(
        {
            f"{path.relative_to(ROOT)}: {cited}"
            for path in text_files()
            for cited in CITED_DOC.findall(path.read_text(errors="replace"))
            if not (ROOT / cited).is_file()
        }
    )

    assert not missing, missing


def test_the_citation_patterns_match_what_they_are_for():
    design, style = "".join(["DESIG", "N"]), "".join(["STYL", "E"])  # not spelled whole, or this file would match
    assert OUTSIDE.search(f'({design} "Diagnostics")') and OUTSIDE.search(f"({style} rule 6)")
    assert not OUTSIDE.search("docs/architecture.md") and not OUTSIDE.search("the review queue")
    assert CITED_DOC.findall("see docs/security.md, and tests/kube/README.md.") == [
        "docs/security.md",
        "tests/kube/README.md",
    ]


def makefile_phony_targets() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return [name for line in re.findall(r"^\.PHONY:(.*)$", text, re.MULTILINE) for name in line.split()]


def test_every_phony_target_of_the_makefile_exists():
    text = (ROOT / "Makefile").read_text()
    rules = set(re.findall(r"^([\w.-]+)\s*:(?!=)", text, re.MULTILINE))

    assert makefile_phony_targets()
    assert not [name for name in makefile_phony_targets() if name not in rules]
