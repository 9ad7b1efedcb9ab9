"""`overdue-advisor diff`: an edit of the rules, and exactly the answers it changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.advisor import Advisor, shipped_rules
from kb.facts import AdviceRequest
from kb.loader import load_rules
from kb.verify import lint
from kb.verify.analysis import Analysis
from kb.verify.conflicts import givers
from kb.verify.diff import diff
from kb.verify.regions import question_facts

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


def test_a_priority_change_names_exactly_the_regions_that_give_the_item(raised: Path) -> None:
    base, new = load_rules(shipped_rules()), load_rules(raised)
    report = diff(base, new)
    assert report.answers_change
    assert {change.kind for change in report.changes} == {"order"}
    by_question = {change.question: change for change in report.changes}
    analysis = Analysis(base)
    for qid in givers(base, {ITEM}):  # every question with a branch that gives the item, no other
        branches = base.questions[qid].branches
        giving = [row for row in analysis.table(qid) if any(ITEM in branches[r].advice for r in row.taken)]
        assert by_question.pop(qid).regions == len(giving), qid
    assert by_question == {}
    before, after = Advisor(base), Advisor(new)
    for change in report.changes:  # each example really gives the item, at the new priority
        request = AdviceRequest.model_validate_json(json.dumps(change.example))
        old = {i.id: i.priority for i in before.advise(request).actions}
        now = {i.id: i.priority for i in after.advise(request).actions}
        assert (old[ITEM], now[ITEM]) == (base.advice[ITEM].priority, 4)
        assert change.base_rules and all("tree.yaml:" in rule for rule in change.base_rules)


def test_text_json_and_html_reports(raised: Path, tmp_path: Path) -> None:
    report = tmp_path / "diff.html"
    text = run(str(shipped_rules()), str(raised), "--html", str(report))
    assert text.returncode == 1, text.stderr
    assert f"[order] question 'harassment': '{ITEM}' priority" in text.stdout
    assert "example: {" in text.stdout and "answers change" in text.stdout
    as_json = json.loads(run(str(shipped_rules()), str(raised), "--json").stdout)
    assert as_json["answers_change"] is True
    assert {c["kind"] for c in as_json["changes"]} == {"order"}
    page = report.read_text(encoding="utf-8")
    assert "<table>" in page and f"&#39;{ITEM}&#39; priority" in page


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
    assert [(c.kind, c.question) for c in report.changes] == [("summary", "safety")]
    assert report.changes[0].example is not None and report.changes[0].example["safety_risk"] is True


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
