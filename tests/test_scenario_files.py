"""The scenario files (tests/scenarios/*.yaml), one test each through the real engine; together
they exercise every rule and every advice item; a wrong expectation or a broken file is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.advisor import Advisor
from kb.cli import main
from kb.loader import RulesError
from kb.verify.scenarios import Scenario, coverage, load_scenarios, parse_scenarios, run_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
ADVISOR = Advisor.from_folder()
ALL = load_scenarios(SCENARIOS, ADVISOR.book)


def test_there_are_enough_scenarios_for_every_stage_and_optional_fact() -> None:
    assert len(ALL) >= 25
    ahead = ADVISOR.book.stages.ahead
    stages = set(ADVISOR.book.stages.bands) | ({ahead.stage} if ahead else set())
    assert {s.expected.stage for s in ALL} == stages
    given = {name for s in ALL for name in s.request.model_fields_set}
    assert {"harassment_kinds", "first_time_borrower", "lender_licensed", "annual_rate_percent"} <= given
    assert {"legal_action", "other_loans", "as_of", "lang"} <= given
    assert any(s.name == "the popular article's case" for s in ALL)


@pytest.mark.parametrize("scenario", ALL, ids=[f"{Path(s.file).stem}: {s.name}" for s in ALL])
def test_scenario(scenario: Scenario) -> None:
    result = run_scenario(ADVISOR.book, ADVISOR.advise, scenario)
    assert result.failures == (), f"{scenario.where}: {scenario.description}"


def test_every_rule_and_advice_is_exercised_by_some_scenario() -> None:
    results = [run_scenario(ADVISOR.book, ADVISOR.advise, s) for s in ALL]
    missing = coverage(ADVISOR.book, results)
    assert missing.rules == () and missing.advice == ()


WRONG = """- name: wrong on purpose
  description: Every expectation here is false for this input.
  input: {days_overdue: 3, harassment: false, hardship: none, credit_reported: "no", as_of: 2026-11-29}
  expected:
    stage: overdue_over_90
    first_action: object_to_payment_order
    advice_present: [threats_call_police]
    advice_absent: [contact_lender_official]
    contacts_present: [police_110]
    contacts_absent: [lender_official]
"""


def test_a_wrong_expectation_fails_with_each_reason() -> None:
    scenarios, problems = parse_scenarios("wrong.yaml", WRONG, ADVISOR.book)
    assert problems == []
    result = run_scenario(ADVISOR.book, ADVISOR.advise, scenarios[0])
    assert result.failures == (
        "stage is just_overdue, expected overdue_over_90",
        "first action is contact_lender_official, expected object_to_payment_order",
        "advice threats_call_police is missing",
        "advice contact_lender_official is given but must not be",
        "contact police_110 is missing",
        "contact lender_official is named but must not be",
    )


BROKEN = """- name: broken
  description: A typo in the input and an advice id that does not exist.
  input:
    days_overdue: -3
    harassment: false
    hardship: none
    credit_reported: "no"
  expected:
    stage: just_overdue
    first_action: contact_lender_official
- name: unknown advice
  description: An advice id that does not exist.
  input: {days_overdue: 3, harassment: false, hardship: none, credit_reported: "no"}
  expected:
    stage: just_overdue
    first_action: contact_lender_official
    advice_present: [no_such_advice]
    extra: 1
"""


def test_a_broken_scenario_file_is_refused_at_its_lines() -> None:
    _, problems = parse_scenarios("broken.yaml", BROKEN, ADVISOR.book)
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [
        (4, "input.days_overdue"),
        (18, "expected.extra"),
    ]


def test_overdue_advisor_test_runs_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(SCENARIOS), "--strict"]) == 0
    out = capsys.readouterr().out
    assert f"{len(ALL)} of {len(ALL)} scenarios pass" in out
    assert "is exercised" in out


def test_overdue_advisor_test_fails_on_a_failing_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong.yaml").write_text(WRONG, encoding="utf-8")
    assert main(["test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "wrong on purpose" in out and "0 of 1 scenarios pass" in out
    assert "rules no scenario exercises" in out


def test_missing_scenario_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError):
        load_scenarios(tmp_path / "nowhere", ADVISOR.book)


def test_every_scenario_states_its_first_steps_and_its_deadlines() -> None:
    # issue 9: what a frightened borrower reads first is part of every expectation; where a paper
    # has arrived, so is every time limit, with the days left
    no_steps = [s.where for s in ALL if s.expected.first_steps is None]
    no_deadlines = [
        s.where for s in ALL if s.request.legal_action != "none" and s.expected.deadlines is None
    ]
    assert no_steps == [] and no_deadlines == []
    counted = [s for s in ALL if any(d is not None for d in (s.expected.deadlines or {}).values())]
    assert len(counted) >= 5  # some scenarios give the day the paper arrived, so days are counted
