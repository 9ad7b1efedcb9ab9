"""`overdue-advisor diff`: an edit of the rules, and exactly the answers it changes."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import pytest

from kb.advisor import Advisor, shipped_rules
from kb.answer import Answer, ranked
from kb.facts import AdviceRequest
from kb.loader import load_rules
from kb.model import URGENCIES, RuleBook
from kb.summary import headline, urgency_of
from kb.verify import lint
from kb.verify.analysis import Analysis
from kb.verify.answer_diff import (
    KINDS,
    FirstSteps,
    Headline,
    PairOrder,
    ShownUrgency,
    Side,
    first_steps_change,
    headline_change,
    order_change,
    urgency_change,
)
from kb.verify.conflicts import givers
from kb.verify.diff import WHOLE_ANSWER, Change, Report, _taken, diff
from kb.verify.regions import Domain, question_cuts, question_facts

ROOT = Path(__file__).resolve().parent.parent
ITEM = "overdue_is_not_a_crime"


def copy_rules(target: Path) -> Path:
    shutil.copytree(shipped_rules(), target)
    return target


def edit(folder: Path, file: str, old: str, new: str, after: str = "") -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


def advice_file(folder: Path, advice_id: str) -> str:
    for path in sorted(folder.rglob("*.yaml")):
        if f"\n  {advice_id}:\n" in path.read_text(encoding="utf-8"):
            return path.relative_to(folder).as_posix()
    raise AssertionError(advice_id)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kb", "diff", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=cwd)


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped rules with 'not a crime' raised from its priority to 4."""
    folder = copy_rules(tmp_path_factory.mktemp("raised") / "rules")
    file = advice_file(folder, ITEM)
    book = load_rules(folder)
    edit(folder, file, f"priority: {book.advice[ITEM].priority}\n", "priority: 4\n", after=f"  {ITEM}:")
    return folder


def per_question(report: Report) -> list[Change]:
    return [change for change in report.changes if change.question != WHOLE_ANSWER]


def whole_answer(report: Report) -> list[Change]:
    return [change for change in report.changes if change.question == WHOLE_ANSWER]


def test_a_priority_change_names_exactly_the_regions_that_give_the_item(raised: Path) -> None:
    base, new = load_rules(shipped_rules()), load_rules(raised)
    report = diff(base, new)
    assert report.answers_change
    assert {change.kind for change in per_question(report)} == {"order"}
    by_question = {change.question: change for change in per_question(report)}
    analysis = Analysis(base)
    for qid in givers(base, {ITEM}):  # every question with a branch that gives the item, no other
        branches = base.questions[qid].branches
        giving = [row for row in analysis.table(qid) if any(ITEM in branches[r].advice for r in row.taken)]
        assert by_question.pop(qid).regions == len(giving), qid
    assert by_question == {}
    before, after = Advisor(base), Advisor(new)
    for change in per_question(report):  # each example really gives the item, at the new priority
        request = AdviceRequest.model_validate_json(json.dumps(change.example))
        old = {i.id: i.priority for i in before.advise(request).actions}
        now = {i.id: i.priority for i in after.advise(request).actions}
        assert (old[ITEM], now[ITEM]) == (base.advice[ITEM].priority, 4)
        assert change.base_rules and all("tree.yaml:" in rule for rule in change.base_rules)
    # in whole answers it now comes before other actions, and where collectors threaten (the
    # branch that makes it urgent) it enters the first steps; each group counted, each example real
    whole = Counter(change.kind for change in whole_answer(report))
    assert set(whole) == {"effective_order", "first_steps"}
    for change in whole_answer(report):
        if change.kind == "effective_order":
            assert f"→ '{ITEM}' before '" in change.what
        else:
            assert change.what.startswith(f"first steps gain ['{ITEM}'], lose [")
            assert change.example is not None and "threats" in change.example["harassment_kinds"]
    check_examples(report, shipped_rules(), raised)


def test_text_json_and_html_reports(raised: Path, tmp_path: Path) -> None:
    report = tmp_path / "diff.html"
    text = run(str(shipped_rules()), str(raised), "--html", str(report))
    assert text.returncode == 1, text.stderr
    assert f"[order] question 'harassment': '{ITEM}' priority" in text.stdout
    assert "example: {" in text.stdout and "answers change" in text.stdout
    as_json = json.loads(run(str(shipped_rules()), str(raised), "--json").stdout)
    assert as_json["answers_change"] is True
    assert {c["kind"] for c in as_json["changes"] if c["question"] != WHOLE_ANSWER} == {"order"}
    # the item now comes before others in whole answers: each pair in its own group, counted
    whole = [c for c in as_json["changes"] if c["question"] == WHOLE_ANSWER]
    assert whole and {c["kind"] for c in whole} <= set(KINDS)
    for change in whole:
        assert ITEM in change["what"] and 0 < change["regions"] <= change["compared"]
        assert change["joined"] and change["sampled"] == 0 and change["example"] is not None
    assert "[effective_order] whole answer: actions: " in text.stdout
    assert "joined regions (" in text.stdout and "joined regions of whole answers" in text.stdout
    assert as_json["answer_regions_compared"] > 0
    page = report.read_text(encoding="utf-8")
    assert "<table>" in page and f"&#39;{ITEM}&#39; priority" in page
    assert "whole answer" in page and "joined regions (" in page


def test_unchanged_rules_exit_zero() -> None:
    same = run(str(shipped_rules()), str(shipped_rules()))
    assert same.returncode == 0, same.stderr
    assert "0 change groups" in same.stdout and "no answer changes" in same.stdout


def test_a_text_only_edit_is_reported_as_text(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    file = advice_file(folder, "keep_records")
    book = load_rules(folder)
    edit(
        folder,
        file,
        book.advice["keep_records"].title.en,
        "Write down every contact",
        after="  keep_records:",
    )
    report = diff(load_rules(shipped_rules()), load_rules(folder))
    assert report.changes and {change.kind for change in report.changes} == {"text"}


def test_dropping_a_branch_s_first_steps_is_a_summary_change(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    edit(folder, "tree.yaml", "        first_steps: [safety_first]\n", "", after="      safety_risk:")
    report = diff(load_rules(shipped_rules()), load_rules(folder))
    assert [(c.kind, c.question) for c in per_question(report)] == [("summary", "safety")]
    assert report.changes[0].example is not None and report.changes[0].example["safety_risk"] is True
    # in whole answers nothing changes: the branch also caps everything else below today, so the
    # crisis item is the only action for today and so the only first step either way
    assert whole_answer(report) == []
    example = AdviceRequest.model_validate_json(json.dumps({**report.changes[0].example, "lang": "en"}))
    for book in (load_rules(shipped_rules()), load_rules(folder)):
        assert Advisor(book).advise(example).summary.first_steps == ["safety_first"]


def test_a_label_edit_changes_no_answer_and_an_added_input_is_a_note(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path / "rules")
    edit(
        folder,
        "tree.yaml",
        '{zh: "是", en: "yes"}',
        '{zh: "是的", en: "yes, they are"}',
        after="harassment_yes:",
    )
    report = diff(load_rules(shipped_rules()), load_rules(folder))
    assert report.changes == [] and not report.answers_change
    assert any("harassment_yes" in note and "label" in note for note in report.notes)
    # a field the base rules lack is a change to report, not a crash
    base = load_rules(shipped_rules())
    reads = {qid for qid, q in base.questions.items() if "student" in question_facts(base, q)}
    fewer = base.model_copy(
        update={
            "inputs": {k: v for k, v in base.inputs.items() if k != "student"},
            "questions": {k: v for k, v in base.questions.items() if k not in reads},
        }
    )
    added = diff(fewer, base)
    assert any("input 'student' added" in note for note in added.notes)
    assert any(c.question in reads and c.regions for c in added.changes)  # its question is new


def test_git_revisions(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    copy_rules(repository / "rules")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "x", "--allow-empty")
    git("add", "rules")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rules")
    book = load_rules(repository / "rules")
    file = advice_file(repository / "rules", ITEM)
    edit(
        repository / "rules",
        file,
        f"priority: {book.advice[ITEM].priority}\n",
        "priority: 4\n",
        after=f"  {ITEM}:",
    )
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "raise")
    changed = run("git:HEAD~1", "git:HEAD", cwd=repository)
    assert changed.returncode == 1, changed.stderr
    assert "git:HEAD~1 → git:HEAD" in changed.stdout
    unknown = run("git:no-such-revision", cwd=repository)
    assert unknown.returncode == 2 and "no-such-revision" in unknown.stderr
    broken = tmp_path / "broken"
    copy_rules(broken)
    edit(broken, "tree.yaml", "choose: one", "choose: several")
    refused = run(str(broken))
    assert refused.returncode == 2 and "tree.yaml:" in refused.stderr


def test_lint_and_diff_cut_the_same_regions() -> None:
    book = load_rules(shipped_rules())
    assert diff(book, book).regions > 0 and lint(book).regions > 0


# --- whole answers: what an answer shows from several questions at once --------------------------


def edited(folder: Path, *edits: tuple[str, str, str, str]) -> RuleBook:
    """The shipped rules copied to `folder` with each (file, old, new, after) edit made."""
    copy_rules(folder)
    for file, old, new, after in edits:
        edit(folder, file, old, new, after=after)
    return load_rules(folder)


@cache
def advisor(folder: str) -> Advisor:
    return Advisor(load_rules(Path(folder)))


def headline_id(book: RuleBook, answer: Answer) -> str | None:
    found = [hid for hid, h in book.headlines.items() if h.text(answer.lang) == answer.summary.headline]
    return found[0] if found else None


def shown_changes(base: RuleBook, new: RuleBook, before: Answer, after: Answer) -> set[str]:
    """Every whole-answer change two real answers to one request show, named as diff names them."""
    found = set()
    steps = first_steps_change(before.summary.first_steps, after.summary.first_steps)
    if steps is not None:
        found.add(f"{steps.what}, e.g. {steps.detail}")
    shown = headline_change(headline_id(base, before), headline_id(new, after))
    if shown is not None:
        found.add(shown.what)
    for kind, old, now in (("action", before.actions, after.actions), ("avoid", before.avoid, after.avoid)):
        old_ids, now_ids = [i.id for i in old], [i.id for i in now]
        common = [aid for aid in old_ids if aid in now_ids]
        for i, a in enumerate(common):
            for b in common[i + 1 :]:
                order = (a, b) if now_ids.index(a) < now_ids.index(b) else (b, a)
                change = order_change(kind, (a, b), order)
                if change is not None:
                    found.add(change.what)
    levels_b = {i.id: i.urgency for i in before.actions + before.avoid}
    levels_n = {i.id: i.urgency for i in after.actions + after.avoid}
    for aid in levels_b.keys() & levels_n.keys():
        change = urgency_change(aid, levels_b[aid], levels_n[aid])
        if change is not None:
            found.add(change.what)
    return found


def check_examples(report: Report, base_folder: Path, new_folder: Path) -> None:
    """Each whole-answer change's example, asked of the real engine with each version of the rules,
    shows exactly that change."""
    base, new = load_rules(base_folder), load_rules(new_folder)
    before, after = advisor(str(base_folder)), advisor(str(new_folder))
    for change in whole_answer(report):
        assert change.example is not None, change.what
        request = AdviceRequest.model_validate_json(json.dumps(change.example))
        shown = shown_changes(base, new, before.advise(request), after.advise(request))
        assert change.what in shown, (change.what, shown)


KEEP_EVIDENCE_FIRST = ("advice/harassment.yaml", "priority: 15\n", "priority: 1\n", "  keep_evidence:")


@pytest.fixture(scope="module")
def evidence_first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """Keeping evidence, for today wherever collectors harass, raised from priority 15 to 1."""
    folder = tmp_path_factory.mktemp("evidence") / "rules"
    new = edited(folder, KEEP_EVIDENCE_FIRST)
    return folder, diff(load_rules(shipped_rules()), new)


def test_raising_an_action_into_the_first_steps_is_reported_with_real_examples(
    evidence_first: tuple[Path, Report],
) -> None:
    folder, report = evidence_first
    steps = [c for c in whole_answer(report) if c.kind == "first_steps"]
    # it enters the first steps, or moves up in them
    assert steps and all(c.what.startswith("first steps ") and "'keep_evidence'" in c.what for c in steps)
    assert steps[0].what.startswith("first steps gain ['keep_evidence'], lose [")
    assert all(0 < c.regions <= c.compared and c.sampled == 0 for c in steps)
    largest = steps[0]  # by the number of regions
    assert largest.regions == max(c.regions for c in steps)
    book = load_rules(folder)
    branches = {rid: rule for q in book.questions.values() for rid, rule in q.branches.items()}
    named = [branches[rule.split(" (")[0]] for rule in largest.new_rules]
    assert any("keep_evidence" in rule.advice for rule in named)  # the rules responsible, with file:line
    check_examples(report, shipped_rules(), folder)
    request = AdviceRequest.model_validate_json(json.dumps(largest.example))
    old = advisor(str(shipped_rules())).advise(request).summary.first_steps
    new = advisor(str(folder)).advise(request).summary.first_steps
    assert "keep_evidence" not in old and new[0] == "keep_evidence" and old != new
    assert f"e.g. {list(old)} → {list(new)}" in largest.what
    # the per-question change is reported as before
    assert {c.kind for c in per_question(report)} == {"order"}


def test_a_branch_urgency_changes_the_urgency_shown_and_the_order(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    insults_today = (
        "tree.yaml",
        "advice: [insults_report,",
        "advice: [{insults_report: now},",
        "hk_insults:",
    )
    new = edited(folder, insults_today)
    base = load_rules(shipped_rules())
    report = diff(base, new)
    kinds = Counter(c.kind for c in whole_answer(report))
    assert kinds["effective_urgency"] == 1 and kinds["effective_order"] > 0
    [shown] = [c for c in whole_answer(report) if c.kind == "effective_urgency"]
    assert shown.what == "'insults_report' is shown as this_week → now"
    # exact: every region of its only giver where the insults branch is taken, with no safety
    # risk (at risk, the crisis branch caps it at this week in both books)
    assert shown.joined == ("safety", "harassment_kinds")
    table = Analysis(base).table("harassment_kinds")
    assert shown.regions == sum("hk_insults" in row.taken for row in table)
    orders = [c for c in whole_answer(report) if c.kind == "effective_order"]
    assert all("'insults_report' before" in c.what.split(" → ")[1] for c in orders)
    check_examples(report, shipped_rules(), folder)


def test_a_headline_priority_change_changes_the_headline_shown(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    new = edited(folder, ("summary_situations.yaml", "priority: 10", "priority: 30", "visitors_at_the_door:"))
    report = diff(load_rules(shipped_rules()), new)
    assert per_question(report) == []  # no branch changed, yet headlines do
    heads = whole_answer(report)
    assert heads and {c.kind for c in heads} == {"headline"}
    assert all(c.what.startswith("headline 'visitors_at_the_door' → ") for c in heads)
    assert "headline 'visitors_at_the_door' → 'threatened_safety_first'" in {c.what for c in heads}
    assert report.answers_change
    check_examples(report, shipped_rules(), folder)


def test_unchanged_rules_and_a_label_edit_join_nothing(tmp_path: Path) -> None:
    book = load_rules(shipped_rules())
    same = diff(book, load_rules(shipped_rules()))
    assert same.changes == [] and same.answer_regions == 0
    folder = tmp_path / "rules"
    new = edited(
        folder,
        ("tree.yaml", '{zh: "否", en: "no"}', '{zh: "没有", en: "no, they are not"}', "harassment_no:"),
    )
    labelled = diff(book, new)
    assert labelled.changes == [] and labelled.answer_regions == 0 and labelled.notes


def test_a_join_too_large_is_sampled_and_says_so(evidence_first: tuple[Path, Report]) -> None:
    folder, exact = evidence_first
    sampled = diff(load_rules(shipped_rules()), load_rules(folder), limit=50)
    assert any("drawn at random" in note and note.startswith("first_steps") for note in sampled.notes)
    steps = [c for c in whole_answer(sampled) if c.kind == "first_steps"]
    assert steps and all(c.sampled == c.compared and 0 < c.regions <= c.sampled for c in steps)
    assert {c.what.split(", e.g.")[0] for c in steps} <= {
        c.what.split(", e.g.")[0] for c in whole_answer(exact)
    }
    check_examples(sampled, shipped_rules(), folder)
    assert not any("drawn at random" in note for note in exact.notes)  # within the limit: exact


# A part of the rules small enough to enumerate every region of all its facts at once.
SMALL = (
    "safety",
    "start",
    "stage",
    "harassment",
    "hardship",
    "legal_action",
    "lawsuit_time",
    "payment_order_time",
)


def small(book: RuleBook) -> RuleBook:
    return book.model_copy(update={"questions": {q: v for q, v in book.questions.items() if q in SMALL}})


def brute(
    base: RuleBook,
    new: RuleBook,
    joined: Iterable[str],
    shown: Callable[[list[tuple[str, tuple[str, ...]]], list[tuple[str, tuple[str, ...]]]], Iterable[str]],
) -> Counter[str]:
    """Over every region of the joined questions' facts and dates, one by one: the changes `shown`
    finds between the two answers' paths (every question's branches taken, for the example)."""
    domain = Domain(new, also=base)
    facts: set[str] = set()
    cuts = set()
    for qid in joined:
        for book in (base, new):
            if qid in book.questions:
                facts |= question_facts(book, book.questions[qid])
                cuts |= question_cuts(book.questions[qid])
    found: Counter[str] = Counter()
    for region in domain.regions(facts, domain.periods(cuts)):
        paths = [
            [(qid, _taken(book, q, region.example, region.day)) for qid, q in book.questions.items()]
            for book in (base, new)
        ]
        found.update(shown(*paths))
    return found


@pytest.fixture(scope="module")
def small_edit(tmp_path_factory: pytest.TempPathFactory) -> RuleBook:
    """A part of the shipped rules with keep_evidence raised to priority 1, knowing the collectors'
    limits made urgent where harassment is reported, and the open lawsuit's headline made less
    urgent than the not-yet-due one."""
    folder = tmp_path_factory.mktemp("small") / "rules"
    today = (
        "tree.yaml",
        "advice: [know_collector_limits,",
        "advice: [{know_collector_limits: now},",
        "harassment_yes:",
    )
    lawsuit = ("summary_courts.yaml", "priority: 12", "priority: 55", "  lawsuit_open:")
    return small(edited(folder, KEEP_EVIDENCE_FIRST, today, lawsuit))


def test_whole_answer_counts_are_exact(small_edit: RuleBook) -> None:
    """On a part of the rules, every whole-answer change group counts exactly the regions where the
    real ranking and summary functions, applied region by region, show that change."""
    base, new_rules = small(load_rules(shipped_rules())), small_edit
    report = diff(base, new_rules)
    groups: dict[str, list[Change]] = {}
    for change in whole_answer(report):
        groups.setdefault(change.kind, []).append(change)
    assert set(groups) == set(KINDS), groups.keys()

    def counted(changes: Sequence[Change]) -> Counter[str]:
        return Counter({c.what.split(", e.g. ")[0]: c.regions for c in changes})

    def steps(old: list, new: list) -> list[str]:
        change = first_steps_change(ranked(base, old).first_steps, ranked(new_rules, new).first_steps)
        return [change.what] if change else []

    [joined] = {c.joined for c in groups["first_steps"]}
    assert counted(groups["first_steps"]) == brute(base, new_rules, joined, steps)

    def heads(old: list, new: list) -> list[str]:
        change = headline_change(headline(base, old), headline(new_rules, new))
        return [change.what] if change else []

    [joined] = {c.joined for c in groups["headline"]}
    assert counted(groups["headline"]) == brute(base, new_rules, joined, heads)

    by_item: dict[str, list[Change]] = {}
    for change in groups["effective_urgency"]:  # one item can change two ways (a cap lowers it)
        by_item.setdefault(change.what.split("'")[1], []).append(change)
    for item, changes in by_item.items():

        def levels(old: list, new: list, item: str = item) -> list[str]:
            before, after = urgency_of(base, old).get(item), urgency_of(new_rules, new).get(item)
            shown = urgency_change(item, before, after) if before and after else None
            return [shown.what] if shown else []

        [joined] = {c.joined for c in changes}
        assert brute(base, new_rules, joined, levels) == Counter({c.what: c.regions for c in changes})

    def inverted(old: list, new: list) -> list[str]:
        found = []
        before, after = ranked(base, old), ranked(new_rules, new)
        for kind, a_list, b_list in (
            ("action", before.actions, after.actions),
            ("avoid", before.avoid, after.avoid),
        ):
            common = [aid for aid in a_list if aid in b_list]
            for i, a in enumerate(common):
                for b in common[i + 1 :]:
                    order = (a, b) if b_list.index(a) < b_list.index(b) else (b, a)
                    shown = order_change(kind, (a, b), order)
                    if shown:
                        found.append(shown.what)
        return found

    for change in groups["effective_order"]:
        first, second = change.what.split("'")[1], change.what.split("'")[3]
        assert brute(base, new_rules, change.joined, inverted)[change.what] == change.regions, change.what
        capping = {qid for book in (base, new_rules) for qid, q in book.questions.items()
                   if any(r.others_at_most for r in q.branches.values())}  # fmt: skip
        assert set(change.joined) <= set(givers(base, {first, second})) | set(
            givers(new_rules, {first, second})
        ) | capping
    # no pair of items that some answer shows in another order is left out
    everything = brute(base, new_rules, base.questions, inverted)
    assert set(everything) == {c.what for c in groups["effective_order"]}


def test_each_whole_answer_property_folded_in_any_order_is_what_the_answer_shows() -> None:
    """The joins add questions in any order and forget what can no longer matter: on random sets
    of branches taken (any, not only those some request takes), folded in a random order, each
    property is what the answer's own functions make of the path in tree order."""
    book = load_rules(shipped_rules())
    sides = (Side(book), Side(book))
    chooser = random.Random(2024)
    steps, heads = FirstSteps(sides), Headline(sides)
    actions = sorted(aid for aid, a in book.advice.items() if a.kind == "action")
    for _ in range(2000):
        path = []
        share = chooser.choice((0.03, 0.1, 0.35))  # few branches (no action for today) to many
        for qid, question in book.questions.items():
            rids = list(question.branches)
            if question.choose == "one":
                taken = tuple(chooser.sample(rids, k=int(chooser.random() < 3 * share)))
            else:
                taken = tuple(rid for rid in rids if chooser.random() < share)
            path.append((qid, taken))
        taken_by = dict(path)
        pair = tuple(chooser.sample(actions, k=2))
        props = [steps, heads, ShownUrgency(sides, pair[0]), PairOrder(sides, pair[0], pair[1])]
        folded = []
        for prop in props:
            order = list(prop.joined)
            chooser.shuffle(order)
            state, remaining = prop.start(), set(order)
            for qid in order:
                remaining.discard(qid)
                state = prop.step(state, prop.part(qid, (taken_by[qid], taken_by[qid])), frozenset(remaining))
            folded.append(state[0])
        ids = ranked(book, path)
        assert FirstSteps.steps(folded[0]) == ids.first_steps, path
        assert (folded[1][2] if folded[1] else None) == headline(book, path)
        level = urgency_of(book, path).get(pair[0])
        found, cap = folded[2]  # the most urgent any giver gives, and the cap of the branches taken
        shown = None if found is None else max(found, found if cap is None else cap)
        assert (None if shown is None else URGENCIES[shown]) == level
        marks = tuple(
            None if mark is None else (max(mark[0], mark[0] if cap is None else cap), *mark[1:])
            for mark, cap in zip(folded[3][:2], folded[3][2:], strict=True)
        )
        if None not in marks and pair[0] in ids.actions and pair[1] in ids.actions:
            first = (
                pair[0]
                if (marks[0][0], marks[0][1], marks[0][3]) < (marks[1][0], marks[1][1], marks[1][3])
                else pair[1]
            )
            assert first == min(pair, key=ids.actions.index)


def test_dropping_the_crisis_cap_shows_items_for_today_again(tmp_path: Path) -> None:
    """others_at_most lowers what other questions give: dropping it from the crisis branch is a
    whole-answer change of the urgency shown, in at-risk answers only, as the real answers show."""
    folder = copy_rules(tmp_path / "rules")
    edit(folder, "tree.yaml", "        others_at_most: this_week\n", "", after="      safety_risk:")
    base, new = load_rules(shipped_rules()), load_rules(folder)
    report = diff(base, new)
    shown = [c for c in report.changes if c.kind == "effective_urgency"]
    lender = [c for c in shown if "'contact_lender_official' is shown as this_week → now" in c.what]
    assert lender and all(c.example and c.example["safety_risk"] is True for c in shown)
    example = AdviceRequest.model_validate_json(json.dumps({**lender[0].example, "lang": "en"}))
    urgency = [
        {i.id: i.urgency for i in Advisor(book).advise(example).actions}["contact_lender_official"]
        for book in (base, new)
    ]
    assert urgency == ["this_week", "now"]


@pytest.mark.parametrize(
    ("old", "new", "after"),
    [
        ("within 15 days is the most urgent thing", "within 30 days is fine", "  payment_order_open:"),
        ("    days: 15\n", "    days: 30\n", "  payment_order_objection_15_days:"),  # a deadline's length
    ],
)
def test_the_words_of_a_summary_entry_are_a_text_change(
    tmp_path: Path, old: str, new: str, after: str
) -> None:
    """The trial changed a court headline's words and a deadline's days: diff said nothing."""
    folder = copy_rules(tmp_path / "rules")
    edit(folder, "summary_courts.yaml", old, new, after=after)
    report = diff(load_rules(shipped_rules()), load_rules(folder))
    changed = per_question(report)
    assert changed and {c.kind for c in changed} == {"text"}
    assert all(c.question == "payment_order_time" or c.question == "legal_action" for c in changed)
    assert all(c.example is not None and c.example["legal_action"] == "payment_order" for c in changed)
