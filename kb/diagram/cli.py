"""`overdue-advisor diagrams [--rules DIR] [--out DIR] [--check] [--png DIR]`: the audit set.

diagrams/ keeps what is committed: every SVG, the whole tree as PDF and MANIFEST.json (the rules
version and each file's sha256). PNGs are never committed: the server draws them on request, and
`--png DIR` draws them into a folder of your choice (build/ is ignored by git).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.advisor import load_checked, rules_dir
from kb.diagram.render import MANIFEST, MEDIA_TYPES, audit_set, committed, manifest, on_request, render_all

DEFAULT_OUT = Path("diagrams")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=DEFAULT_OUT,
        help="folder of the diagrams (default: diagrams/ in the current folder, the repository root)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1, naming the files, if the folder differs from what the rules give",
    )
    action.add_argument(
        "--png",
        metavar="DIR",
        type=Path,
        help="draw every PNG (never committed) into DIR instead, e.g. build/diagrams-png; not into --out",
    )


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if args.png is not None and args.png.resolve() == out.resolve():
        print(f"{args.png}: PNGs are not kept in {out}; name another folder", file=sys.stderr)
        return 2
    book = load_checked(rules_dir(args.rules))
    diagrams = audit_set(book)
    if args.png is not None:
        return _write_png(args.png, render_all(on_request(diagrams, "png")))
    wanted = render_all(committed(diagrams))
    wanted[MANIFEST] = manifest(book, wanted)
    if args.check:
        return _check(out, wanted)
    return _write(out, wanted)


def _write_png(folder: Path, drawn: dict[str, bytes]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in drawn.items():
        (folder / name).write_bytes(content)
    print(f"{folder}: {len(drawn)} PNG files")
    return 0


def _present(out: Path) -> set[str]:
    if not out.is_dir():
        return set()
    return {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}


def _findings(out: Path, wanted: dict[str, bytes]) -> list[str]:
    present = _present(out)
    findings = []
    for name in sorted(wanted.keys() | present):
        if name not in present:
            findings.append(f"{out / name}: missing")
        elif name not in wanted:
            findings.append(f"{out / name}: not made from the rules (extra file)")
        elif (out / name).read_bytes() != wanted[name]:
            findings.append(f"{out / name}: differs from what the rules give")
    return findings


def _check(out: Path, wanted: dict[str, bytes]) -> int:
    findings = _findings(out, wanted)
    if not findings:
        print(f"ok: {out}: {len(wanted) - 1} diagrams and {MANIFEST} match the rules")
        return 0
    for finding in findings:
        print(finding, file=sys.stderr)
    print(
        f"{len(findings)} of the diagrams in {out} are not what the rules give: "
        "run `overdue-advisor diagrams` and commit the result",
        file=sys.stderr,
    )
    return 1


def _write(out: Path, wanted: dict[str, bytes]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, content in wanted.items():
        target = out / name
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)
            written += 1
    removed = 0
    for name in sorted(_present(out) - wanted.keys()):
        # only former diagrams are removed; anything else is left for a person to look at
        if Path(name).suffix.lstrip(".") in MEDIA_TYPES:
            (out / name).unlink()
            removed += 1
        else:
            print(f"{out / name}: not a diagram; left in place (`--check` will report it)", file=sys.stderr)
    print(f"{out}: {len(wanted) - 1} diagrams and {MANIFEST}, {written} written, {removed} removed")
    return 0
