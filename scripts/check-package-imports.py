#!/usr/bin/env python3
"""Checks that Package.swift tells the truth: for every target, the modules its sources import
equal the targets and products it declares (no declared-but-unused dependency, no undeclared
import). Prints each mismatch and exits 1 if there is any.

Usage: scripts/check-package-imports.py [package directory]   (default: the repository root)
"""
import json
import pathlib
import re
import subprocess
import sys

# Modules of the toolchain and the system, which no target declares.
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization",
    "_Concurrency", "Testing", "XCTest", "os", "CoreFoundation",
}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*(?:public |package |internal |private |fileprivate )?import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def declared(target):
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names


def imported(directory):
    names = set()
    for source in directory.rglob("*.swift"):
        text = source.read_text(encoding="utf-8", errors="replace")
        # Imports inside `#if canImport(X)` name X themselves; the check counts them too.
        names.update(IMPORT.findall(text))
    return names - SYSTEM


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    manifest = json.loads(subprocess.run(
        ["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True).stdout)
    problems = []
    for target in manifest["targets"]:
        if target["type"] in ("system", "binary"):
            continue
        kind = "Tests" if target["type"] == "test" else "Sources"
        directory = root / (target.get("path") or f"{kind}/{target['name']}")
        if not any(directory.rglob("*.swift")):
            continue  # a C target
        uses = imported(directory)
        declares = declared(target)
        # A target may import itself in its own tests' helpers, and C targets' module names equal theirs.
        uses.discard(target["name"])
        for name in sorted(uses - declares):
            problems.append(f"{target['name']}: imports {name}, which Package.swift does not declare for it")
        for name in sorted(declares - uses):
            problems.append(f"{target['name']}: declares {name}, which none of its sources imports")
    for problem in problems:
        print(problem)
    print(f"check-package-imports: {len(manifest['targets'])} targets, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
