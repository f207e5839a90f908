"""The README stays short and every relative link in it and in docs/ leads somewhere: to a file
of this repository and, with a #fragment, to a heading of that file (GitHub's anchors)."""
import os
import re
import subprocess
import sys

from conftest import ROOT

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for heading in re.findall(r"^#+\s+(.*)$", re.sub(r"```.*?```", "", markdown, flags=re.S), flags=re.M):
        text = re.sub(r"[`*_]", "", heading).strip().lower()
        found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines <= 250, f"README.md has {lines} lines; component references belong in docs/"


def test_every_relative_link_resolves():
    broken = []
    for page in pages():
        text = page.read_text()
        for target in LINK.findall(re.sub(r"```.*?```", "", text, flags=re.S)):
            if re.match(r"^[a-z]+:", target):
                continue                    # http(s), mailto
            path, _, fragment = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif fragment and file.suffix == ".md" and fragment not in anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_cli_reference_is_current():
    """docs/cli-reference.md is what scripts/cli-reference.py makes from the CLI's own help."""
    binary = os.environ.get("EDGEFACTOR_BIN", str(ROOT / ".build" / "debug" / "edgefactor"))
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "cli-reference.py"), "--check", binary],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
