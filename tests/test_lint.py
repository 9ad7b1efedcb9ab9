"""`overdue-advisor lint`: the shipped rules pass; each broken fixture fails at its line, with an
example input that really shows the problem (checked with the real engine or the reference)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import variant

from kb.advisor import Advisor, shipped_rules
from kb.cli import main
from kb.facts import AdviceRequest
from kb.loader import RulesError, load_rules, load_texts, read_folder
from kb.reference import holds
from kb.verify import lint
from kb.verify.analysis import Analysis, outcome_of_answer
from kb.verify.invariants import violations

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


def broken_copy(tmp_path: Path, fixture: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(shipped_rules(), folder)
    shutil.copy(FIXTURES / fixture, folder / fixture)
    return folder


def marked_line(fixture: str) -> int:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if "# <- finding" in line)


def run_lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["lint", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def answer(folder: Path, example: dict[str, Any]) -> Any:
    return Advisor.from_folder(folder).advise(AdviceRequest.model_validate_json(json.dumps(example)))


def branches_holding(folder: Path, question: str, example: dict[str, Any]) -> list[str]:
    book = load_rules(folder)
    day = date.fromisoformat(example["as_of"])
    return [
        rid
        for rid, rule in book.questions[question].branches.items()
        if rule.in_force.covers(day) and holds(book, rule.when, example)
    ]


def test_the_shipped_rules_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_lint(capsys)
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]
    assert report["errors"] == 0
    assert report["regions"] > 1000
    assert {f["kind"] for f in report["findings"]} <= {"citation"}  # the dates before kb.in_force


def test_text_output_names_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    assert "regions in" in out and "0 errors" in out


# For each fixture: the kind of finding, and what its example must show.
Confirm = Callable[[Path, dict[str, Any]], None]


def confirm_gap(folder: Path, example: dict[str, Any]) -> None:
    assert branches_holding(folder, "loans_gap", example) == []
    assert 6 <= example["other_loans"] <= 9


def confirm_overlap(folder: Path, example: dict[str, Any]) -> None:
    assert branches_holding(folder, "loans_overlap", example) == ["loans_up_to_five", "loans_five_or_more"]


def confirm_masked(folder: Path, example: dict[str, Any]) -> None:
    assert branches_holding(folder, "loans_masked", example) == ["loans_any", "loans_many_masked"]


def confirm_conflict(folder: Path, example: dict[str, Any]) -> None:
    given = {item.id for item in answer(folder, example).actions}
    assert {"pay_everything_now", "hardship_statement_and_plan"} <= given


def confirm_citation(folder: Path, example: dict[str, Any]) -> None:
    item = next(a for a in answer(folder, example).actions if a.id == "rests_on_old_law")
    assert item.legal_basis == [] and not item.practice


def confirm_invariant(folder: Path, example: dict[str, Any]) -> None:
    book = load_rules(folder)
    outcome = outcome_of_answer(book, answer(folder, example))
    assert violations(book.invariants["all_harassment_to_police"].then, outcome)


def no_example(folder: Path, example: dict[str, Any] | None) -> None:
    assert example is None


CASES: list[tuple[str, str, Callable[..., None]]] = [
    ("gap.yaml", "gap", confirm_gap),
    ("overlap.yaml", "overlap", confirm_overlap),
    ("dead_rule.yaml", "dead_rule", no_example),
    ("masked_rule.yaml", "dead_rule", confirm_masked),
    ("dated_rule.yaml", "dead_rule", no_example),
    ("conflict.yaml", "conflict", confirm_conflict),
    ("unused.yaml", "reference", no_example),
    ("text.yaml", "text", no_example),
    ("citation.yaml", "citation", confirm_citation),
    ("invariant.yaml", "invariant", confirm_invariant),
    ("contract.yaml", "contract", no_example),
    ("load.yaml", "load", no_example),
]


@pytest.mark.parametrize(("fixture", "kind", "confirm"), CASES, ids=[c[0] for c in CASES])
def test_each_broken_fixture_fails_at_its_line_with_a_true_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture: str, kind: str, confirm: Callable[..., None]
) -> None:
    folder = broken_copy(tmp_path, fixture)
    code, report = run_lint(capsys, "--rules", str(folder))
    assert code == 1
    where = f"{fixture}:{marked_line(fixture)}"
    found = [f for f in report["findings"] if f["kind"] == kind and f["at"] and f["at"][0] == where]
    assert found, report["findings"]
    finding = found[0]
    assert finding["severity"] == "error"
    if finding["example"] is not None:
        AdviceRequest.model_validate_json(json.dumps(finding["example"]))  # a full valid request body
    confirm(folder, finding["example"])


def test_a_fixture_adds_no_other_error(tmp_path: Path) -> None:
    """The findings of a fixture are about it: the shipped rules stay clean around it."""
    report = lint(load_rules(broken_copy(tmp_path, "gap.yaml")))
    assert {f.at[0].split(":")[0] for f in report.errors} == {"gap.yaml"}


def test_masked_rule_names_the_rule_that_masks_it(tmp_path: Path) -> None:
    report = lint(load_rules(broken_copy(tmp_path, "masked_rule.yaml")))
    dead = next(f for f in report.errors if f.kind == "dead_rule")
    assert "loans_any" in dead.message and dead.rules[1].startswith("loans_any (masked_rule.yaml:")


def test_text_output_prints_file_line_and_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = broken_copy(tmp_path, "gap.yaml")
    assert main(["lint", "--rules", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"gap.yaml:{marked_line('gap.yaml')}: error[gap]:" in out
    assert '    example: {"days_overdue"' in out


def test_the_lint_of_the_shipped_rules_is_exact_about_regions() -> None:
    """Every region of a question table is valid and its branches are what the reference says."""
    book = load_rules(shipped_rules())
    analysis = Analysis(book)
    for qid, question in book.questions.items():
        for row in analysis.table(qid):
            AdviceRequest.model_validate_json(json.dumps(row.region.example))
            expected = [
                rid
                for rid, rule in question.branches.items()
                if rule.in_force.covers(row.region.day) and holds(book, rule.when, row.region.example)
            ]
            assert list(row.holding) == expected


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (
            "    conflicts_with: [credit_repair_policy_closed_x]",
            "conflicts with advice 'credit_repair_policy_closed_x'",
        ),
        ("    conflicts_with: [credit_repair_policy_open]", "conflicts with itself"),
    ],
)
def test_conflicts_with_is_refused_at_its_line_when_wrong(new: str, reason: str) -> None:
    texts = variant(
        read_folder(shipped_rules()),
        "advice/credit.yaml",
        "    conflicts_with: [credit_repair_policy_closed]",
        new,
    )
    with pytest.raises(RulesError) as refused:
        load_texts(texts)
    [problem] = refused.value.problems
    assert problem.file == "advice/credit.yaml" and reason in problem.reason
    assert texts["advice/credit.yaml"].splitlines()[problem.line - 1] == new


def test_blank_and_wrong_language_texts_are_both_found(tmp_path: Path) -> None:
    report = lint(load_rules(broken_copy(tmp_path, "text.yaml")))
    messages = [f.message for f in report.errors if f.kind == "text"]
    assert "advice 'mixed_language' step 2 has no zh words" in messages
    assert any(m.startswith("advice 'mixed_language' title: the en text holds Chinese") for m in messages)
