#!/usr/bin/env python3
"""Writes docs/cli-reference.md from the CLI's own help (`edgefactor --experimental-dump-help`),
so the configuration reference cannot drift from the code.

Usage: scripts/cli-reference.py [--check] [path-to-edgefactor]   (default: the debug build)
With --check it writes nothing and exits 1 when docs/cli-reference.md is not what it would write.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def option_line(arg):
    names = ", ".join(
        ("--" if n["kind"] == "long" else "-") + n["name"] for n in arg.get("names", [])
    )
    if arg["kind"] == "positional":
        names = f"<{arg.get('valueName', 'value')}>"
    elif arg["kind"] == "option":
        names += f" <{arg.get('valueName', 'value')}>"
    text = (arg.get("abstract") or "").replace("|", "\\|").replace("\n", " ")
    if arg.get("defaultValue") not in (None, ""):
        text += f" (default: `{arg['defaultValue']}`)"
    if arg.get("isRepeating"):
        text += " (repeatable)"
    return f"| `{names}` | {text} |"


def render(command, path, out):
    if not command.get("shouldDisplay", True) or command["commandName"] == "help":
        return
    full = " ".join(path + [command["commandName"]])
    out.append(f"{'#' * min(len(path) + 2, 4)} `{full}`\n")
    if command.get("abstract"):
        out.append(command["abstract"] + "\n")
    if command.get("discussion"):
        out.append(command["discussion"].strip() + "\n")
    args = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)
            and not any(n["name"] in ("help", "h", "version") for n in a.get("names", []))]
    if args:
        out.append("| Argument | Meaning |\n|---|---|")
        out.extend(option_line(a) for a in args)
        out.append("")
    for sub in command.get("subcommands", []):
        render(sub, path + [command["commandName"]], out)


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    binary = args[0] if args else str(ROOT / ".build" / "debug" / "edgefactor")
    dump = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    out = ["# Command-line reference", "",
           "Generated from the CLI's own help by `scripts/cli-reference.py`; do not edit by hand.",
           "Every option is also shown by `edgefactor <command> --help`.", ""]
    render(dump["command"], [], out)
    target = ROOT / "docs" / "cli-reference.md"
    text = "\n".join(out) + "\n"
    if check:
        if target.read_text() != text:
            print(f"{target.relative_to(ROOT)} is out of date: run scripts/cli-reference.py", file=sys.stderr)
            sys.exit(1)
        return
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
