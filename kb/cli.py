"""The `overdue-advisor` command: check rules, advise from flags, serve the API."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kb.advisor import Advisor, load_checked, rules_dir
from kb.answer import Answer, BriefItem, ContactOut, Item, TraceEntry
from kb.case_flags import add_case_arguments, case_from_arguments
from kb.loader import RulesError
from kb.model import URGENCIES

_LABELS = {
    "zh": {
        "stage": "逾期阶段",
        "first": "首先要做的",
        "reassure": "请先放心",
        "deadlines": "期限",
        "days_left": "还剩 {} 天（截至 {}）",
        "passed": "已过 {} 天（{}）",
        "unknown_days": "从收到文书之日起计算",
        "now": "今天就做",
        "this_week": "这周内做",
        "later": "之后再做",
        "avoid": "不要做的",
        "contacts": "可用渠道",
        "basis": "依据",
        "practice": "实务建议",
        "trace": "适用的规则",
        "documents": "可用的文书（overdue-advisor letter 类型）",
        "version": "知识库版本",
    },
    "en": {
        "stage": "Stage",
        "first": "First steps",
        "reassure": "Good to know",
        "deadlines": "Time limits",
        "days_left": "{} days left (until {})",
        "passed": "passed {} days ago ({})",
        "unknown_days": "counted from the day the paper arrived",
        "now": "Today",
        "this_week": "This week",
        "later": "Later",
        "avoid": "What not to do",
        "contacts": "Channels",
        "basis": "Legal basis",
        "practice": "practical guidance",
        "trace": "Rules applied",
        "documents": "Letters that fit (overdue-advisor letter KIND)",
        "version": "Knowledge base",
    },
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # the reader (`| head`) stopped reading: not an error of ours; keep Python from reporting
        # it again when stdout is flushed at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except RulesError as error:
        print(f"rules refused ({len(error.problems)} problems):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overdue-advisor", description="Advice for a borrower whose online loan is overdue."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def rules_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--rules",
            metavar="DIR",
            help="rules folder (default: $OVERDUE_ADVISOR_RULES, else the shipped rules)",
        )

    check = commands.add_parser("check", help="load and validate the rules; non-zero exit on errors")
    rules_option(check)
    check.set_defaults(run=_check)

    advise = commands.add_parser("advise", help="advice for one borrower's facts")
    rules_option(advise)
    add_case_arguments(advise)
    advise.add_argument("--json", action="store_true", help="print the API's JSON answer")
    advise.set_defaults(run=_advise)

    letter = commands.add_parser(
        "letter", help="a letter that fits the case (text or .docx); details fill its blanks"
    )
    rules_option(letter)
    letter.add_argument("kind", help="the letter kind, e.g. hardship_statement, payment_order_objection")
    # --lang is the letter's language (default zh); --detail fills the letter's blanks
    add_case_arguments(letter, leave_out=("detail",))
    letter.add_argument(
        "--detail",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a detail to fill in (repeatable); one not given is a visible blank",
    )
    letter.add_argument("--format", choices=["text", "docx"], default="text")
    letter.add_argument("--out", metavar="FILE", help="write the letter here (required for docx)")
    letter.set_defaults(run=_letter)

    for name, module, summary in EXTENSIONS:
        sub = commands.add_parser(name, help=summary)
        rules_option(sub)
        sub.set_defaults(run=_extension(module))
        _add_extension_arguments(module, sub)

    reload = commands.add_parser(
        "reload", help="check the rules in full (load, compile, lint), then have the server serve them"
    )
    rules_option(reload)
    reload.add_argument("--host", default="127.0.0.1", help="the running server's address, as given to serve")
    reload.add_argument("--port", type=int, default=8000)
    reload.set_defaults(run=_reload)

    serve = commands.add_parser("serve", help="serve the HTTP API with gunicorn")
    rules_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(run=_serve)
    return parser


# Commands whose work lives in a stage module of their own: (name, module, help). Each module
# has `add_arguments(parser)` and `run(args) -> int`; it is imported only when its command runs,
# except for its arguments, which are read from the module when the parser is built.
EXTENSIONS: list[tuple[str, str, str]] = [
    ("diagrams", "kb.diagram.cli", "render the audit diagrams from the rules"),
    ("lint", "kb.verify.cli", "prove the rules cover every borrower: gaps, overlaps, conflicts, invariants"),
    ("test", "kb.verify.scenarios_cli", "run the scenario files; report rules and advice none exercises"),
    ("diff", "kb.verify.diff_cli", "what an edit of the rules changes in the answers, region by region"),
    ("explain", "kb.verify.explain_cli", "the nearest changes of a case's facts that change its advice"),
]


def _add_extension_arguments(module: str, parser: argparse.ArgumentParser) -> None:
    importlib.import_module(module).add_arguments(parser)


def _extension(module: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(importlib.import_module(module).run(args))

    return run


def _check(args: argparse.Namespace) -> int:
    folder = rules_dir(args.rules)
    book = load_checked(folder)
    print(
        f"ok: {folder}: {len(book.questions)} questions, {len(book.rules)} rules, "
        f"{len(book.advice)} advice items, {len(book.laws)} laws, {len(book.contacts)} contacts "
        f"({book.kb_version})"
    )
    return 0


def _advise(args: argparse.Namespace) -> int:
    request = case_from_arguments(args)
    if request is None:
        return 2
    answer = Advisor.from_folder(args.rules).advise(request)
    print(answer.model_dump_json(indent=2) if args.json else render_text(answer))
    return 0


def render_text(answer: Answer) -> str:
    words = _LABELS[answer.lang]
    summary = answer.summary
    titles = {item.id: item.title for item in answer.actions}
    lines = [summary.headline, "", f"{words['first']}:"]
    lines.extend(f"  {n}. {titles[aid]}" for n, aid in enumerate(summary.first_steps, 1))
    if summary.reassurance:
        lines += ["", f"{words['reassure']}:", *(f"  - {text}" for text in summary.reassurance)]
    if summary.deadlines:
        lines += ["", f"{words['deadlines']}:"]
        for deadline in summary.deadlines:
            if deadline.days_left is None:
                when = words["unknown_days"]
            elif deadline.days_left >= 0:
                when = words["days_left"].format(deadline.days_left, deadline.date)
            else:
                when = words["passed"].format(-deadline.days_left, deadline.date)
            lines.append(f"  - {deadline.what}: {when}")
            if deadline.after:
                lines.append(f"    {deadline.after}")
    lines += ["", f"{words['stage']}: {answer.stage.label} — {answer.stage.about}", ""]
    names = {c.id: f"{c.law} {c.article}" for c in answer.legal_basis}

    def items(title: str, entries: Sequence[Item | BriefItem], start: int = 1) -> None:
        lines.append(f"{title}:")
        for number, entry in enumerate(entries, start):
            lines.append(f"{number:>3}. {entry.title}")
            if isinstance(entry, BriefItem):  # brief: titles and citations, no steps
                cited = [names.get(law_id, law_id) for law_id in entry.legal_basis]
            else:
                lines.extend(f"       - {step}" for step in entry.steps)
                cited = [f"{c.law} {c.article}" for c in entry.legal_basis]
            if cited:
                lines.append(f"       {words['basis']}: {'; '.join(cited)}")
            elif isinstance(entry, Item) and entry.practice:
                lines.append(f"       ({words['practice']})")
        lines.append("")

    done = 0
    for level in URGENCIES:
        entries = [entry for entry in answer.actions if entry.urgency == level]
        if entries:
            items(words[level], entries, done + 1)
            done += len(entries)
    items(words["avoid"], answer.avoid)
    lines.append(f"{words['contacts']}:")
    for contact in answer.contacts:
        purpose = f" — {contact.purpose}" if isinstance(contact, ContactOut) else ""
        lines.append(f"  - {contact.name}: {contact.channel}{purpose}")
    lines.append("")
    if answer.documents:
        lines.append(f"{words['documents']}:")
        lines.extend(f"  - {d.kind}: {d.title}" for d in answer.documents)
        lines.append("")
    lines.append(f"{words['trace']}:")
    lines.extend(
        f"  - {t.rule}: {t.because}" if isinstance(t, TraceEntry) else f"  - {t.rule} ({t.question})"
        for t in answer.trace
    )
    lines.append("")
    lines.append(f"{words['version']}: {answer.kb_version}, {answer.as_of.isoformat()}")
    return "\n".join(lines)


def _letter(args: argparse.Namespace) -> int:
    from kb.letters.render import DetailsError, DoesNotFit
    from kb.letters.word import as_docx

    request = case_from_arguments(args, leave_out=("detail",))
    if request is None:
        return 2
    lang = args.lang or "zh"
    details: dict[str, str | int | float] = {}
    for entry in args.detail:
        name, equals, value = entry.partition("=")
        if not equals or not name:
            print(f"--detail {entry!r}: write NAME=VALUE", file=sys.stderr)
            return 2
        details[name] = value
    if args.format == "docx" and not args.out:
        print("--out FILE is required with --format docx", file=sys.stderr)
        return 2
    advisor = Advisor.from_folder(args.rules)
    if args.kind not in advisor.book.letters:
        print(f"no letter kind '{args.kind}'; the kinds: {', '.join(advisor.book.letters)}", file=sys.stderr)
        return 2
    try:
        letter = advisor.letter(args.kind, request, details, lang, explain_in=lang)
    except DoesNotFit as refusal:
        print(f"the letter '{args.kind}' does not fit this case; not met:", file=sys.stderr)
        for words in refusal.unmet:
            print(f"  - {words}", file=sys.stderr)
        return 1
    except DetailsError as refused:
        for problem in refused.errors:
            name = problem["field"].removeprefix("details.")
            print(f"--detail {name}: {problem['message']}", file=sys.stderr)
        return 2
    if args.format == "docx":
        Path(args.out).write_bytes(as_docx(letter))
    elif args.out:
        Path(args.out).write_text(letter.text(), encoding="utf-8")
    else:
        sys.stdout.write(letter.text())
    return 0


def _reload(args: argparse.Namespace) -> int:
    import os
    import signal

    from kb.verify import lint
    from webapi.reload import is_server, rules_note
    from webapi.serve import pidfile_for

    folder = rules_dir(args.rules)
    book = load_checked(folder)  # RulesError: refused with file:line, nothing is signalled
    report = lint(book)
    if report.errors:
        print(f"reload refused: {folder} has {len(report.errors)} lint errors:", file=sys.stderr)
        for finding in report.errors:
            print("\n".join(finding.lines()), file=sys.stderr)
        return 1
    path = pidfile_for(args.host, args.port)
    try:
        pid = int(Path(path).read_text(encoding="ascii").strip())
        served = Path(rules_note(path)).read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as error:
        print(f"reload: no running server found through {path}: {error}", file=sys.stderr)
        return 2
    if not is_server(pid):
        print(f"reload: {path} is stale: process {pid} is not an overdue-advisor server", file=sys.stderr)
        return 2
    if Path(served) != folder.resolve():
        print(
            f"reload: the server reads {served}, not {folder.resolve()}: edit that folder and give "
            f"--rules {served}",
            file=sys.stderr,
        )
        return 2
    try:
        os.kill(pid, signal.SIGHUP)
    except PermissionError:
        import pwd

        uid = os.stat(f"/proc/{pid}").st_uid
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = f"uid {uid}"
        print(f"reload: server {pid} runs as {owner}: run reload as {owner} or as root", file=sys.stderr)
        return 2
    print(f"reload asked of server {pid}: {book.kb_version}; it checks the rules again before serving them")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from webapi.account import become_service_account
    from webapi.serve import pidfile_for, serve

    # started as root: the unprivileged service account from here on, before the rules are read
    become_service_account(rules_dir(args.rules).absolute(), pidfile_for(args.host, args.port))
    load_checked(rules_dir(args.rules))  # refuse broken rules before any worker starts
    serve(rules=args.rules, host=args.host, port=args.port, workers=args.workers)
    return 0
