"""`overdue-advisor diff BASE [NEW] [--json] [--html FILE]`: what an edit of the rules changes.

BASE and NEW are rules folders or git revisions (`git:REV`, the rules/ folder at that revision of
the repository in the current folder); NEW defaults to the working rules (`--rules`, else
$OVERDUE_ADVISOR_RULES, else the shipped rules). Exit status as for `diff`: 0 when no answer
changes, 1 when some do, 2 on error (an unknown revision, rules that do not load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from jinja2 import Environment, select_autoescape

from kb.advisor import rules_dir
from kb.loader import RulesError, load_rules, load_texts
from kb.model import RuleBook
from kb.verify.diff import WHOLE_ANSWER, Change, Report, diff

RULES_IN_REPOSITORY = "rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", metavar="BASE", help="rules folder or git:REV")
    parser.add_argument("new", metavar="NEW", nargs="?", help="rules folder or git:REV (default: the rules)")
    parser.add_argument("--json", action="store_true", help="print the change groups as JSON")
    parser.add_argument("--html", metavar="FILE", type=Path, help="also write an HTML report to FILE")


class SourceError(Exception):
    """A version of the rules that cannot be read."""


def load_version(spec: str) -> tuple[RuleBook, str]:
    if spec.startswith("git:"):
        revision = spec.removeprefix("git:")
        return load_texts(_git_rules(revision), label=spec), spec
    return load_rules(Path(spec)), spec


def _git_rules(revision: str) -> dict[str, str]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SourceError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
        return done.stdout

    if revision.startswith("-"):
        raise SourceError(f"not a revision: {revision!r}")
    git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    names = git("ls-tree", "-r", "--name-only", revision, "--", f"{RULES_IN_REPOSITORY}/").split("\n")
    found = {
        name.removeprefix(f"{RULES_IN_REPOSITORY}/"): git("show", f"{revision}:{name}")
        for name in names
        if name.endswith(".yaml")
    }
    if not found:
        raise SourceError(f"no {RULES_IN_REPOSITORY}/*.yaml at {revision}")
    return found


def run(args: argparse.Namespace) -> int:
    try:
        base, base_name = load_version(args.base)
        if args.new:
            new, new_name = load_version(args.new)
        else:
            new, new_name = load_rules(rules_dir(args.rules)), "working rules"
    except SourceError as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    except RulesError as error:
        print(f"diff: the rules do not load ({len(error.problems)} problems):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    report = diff(base, new, base_name, new_name)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(render_text(report))
    if args.html:
        args.html.write_text(render_html(report), encoding="utf-8")
    return 1 if report.answers_change else 0


def render_text(report: Report) -> str:
    lines = []
    for change in report.changes:
        if change.question == WHOLE_ANSWER:
            lines.append(f"[{change.kind}] whole answer: {change.what}: {count_words(change)}")
        else:
            what = f"[{change.kind}] question '{change.question}': {change.what}"
            lines.append(f"{what}: {change.regions} regions")
        if change.base_rules or change.new_rules:
            lines.append(f"    base: {', '.join(change.base_rules) or '-'}")
            lines.append(f"    new:  {', '.join(change.new_rules) or '-'}")
        if change.example is not None:
            lines.append(f"    example: {json.dumps(dict(change.example), ensure_ascii=False)}")
    lines.extend(f"[note] {note}" for note in report.notes)
    verdict = "answers change" if report.answers_change else "no answer changes"
    joined = (
        f" and {report.answer_regions:,} joined regions of whole answers" if report.answer_regions else ""
    )
    lines.append(
        f"diff {report.base} → {report.new}: {len(report.changes)} change groups over "
        f"{report.regions} regions compared{joined}: {verdict}"
    )
    return "\n".join(lines)


def count_words(change: Change) -> str:
    """How many regions a whole-answer change holds, of how many, joined over how many questions."""
    share = f"{change.regions / change.compared:.2%}" if change.compared else "-"
    if change.sampled:
        return (
            f"{change.regions:,} of {change.sampled:,} regions drawn at random ({share}) from the joined "
            f"regions of {len(change.joined)} questions (too many to count exactly)"
        )
    joined = len(change.joined)
    return f"{change.regions:,} of {change.compared:,} joined regions ({share}) of {joined} questions"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Rules diff: {{ report.base }} → {{ report.new }}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
code{font-size:13px;word-break:break-all}</style></head><body>
<h1>{{ report.base }} → {{ report.new }}</h1>
<p>{{ report.changes|length }} change groups over {{ report.regions }} regions compared{%
if report.answer_regions %} and {{ "{:,}".format(report.answer_regions) }} joined regions of whole answers{%
endif %}:
<strong>{{ "answers change" if report.answers_change else "no answer changes" }}</strong>.</p>
{% if report.changes %}<table><tr><th>kind</th><th>question</th><th>what</th><th>regions</th>
<th>rules (base / new)</th><th>example request</th></tr>
{% for c in report.changes %}<tr><td>{{ c.kind }}</td>
{% if c.question == whole %}<td>whole answer<br><small>{{ c.joined|join(", ") }}</small></td>
<td>{{ c.what }}</td><td>{{ count_words(c) }}</td>
{% else %}<td>{{ c.question }}</td><td>{{ c.what }}</td><td>{{ c.regions }}</td>{% endif %}
<td>{{ c.base_rules|join(", ") or "-" }}<br>{{ c.new_rules|join(", ") or "-" }}</td>
<td><code>{{ c.example|tojson }}</code></td></tr>{% endfor %}</table>{% endif %}
{% if report.notes %}<h2>Notes</h2><ul>{% for n in report.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""


def render_html(report: Report) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    page = environment.from_string(_PAGE)
    return page.render(report=report, whole=WHOLE_ANSWER, count_words=count_words)
