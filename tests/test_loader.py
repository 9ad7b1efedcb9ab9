"""The loader refuses every kind of bad rules file with the exact `file:line` and a telling reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import line_of, variant

from kb.loader import RulesError, load_rules, load_texts

ADVICE_PAY_TODAY = """advice:
  pay_today:
    kind: action
    priority: 5
    urgency: this_week
    title: {zh: 今天还款, en: Pay today}
    steps:
      - {zh: 还款。, en: Pay.}
    practice: true
"""


def problems_of(texts: dict[str, str]) -> list[tuple[str, int, str]]:
    with pytest.raises(RulesError) as caught:
        load_texts(texts)
    return [(p.file, p.line, p.reason) for p in caught.value.problems]


def only_problem(texts: dict[str, str], file: str, needle: str) -> str:
    """The reason of the one problem found, after checking it is at the line of `needle`."""
    found = problems_of(texts)
    assert [(f, line) for f, line, _ in found] == [(file, line_of(texts[file], needle))], found
    return found[0][2]


# (file, old text, new text, the text on the line to be reported, words the reason must hold)
BROKEN = {
    "invalid_yaml": (
        "rules.yaml",
        "        when: {stage: {in: [due_today]}}",
        "        when: {stage: {in: [due_today}}",
        "[due_today}}",
        ("not valid YAML", "expected ',' or ']'"),
    ),
    "unknown_key_in_advice": (
        "rules.yaml",
        "    priority: 10\n",
        "    priority: 10\n    importance: 3\n",
        "importance: 3",
        ("unknown key 'importance'",),
    ),
    "priority_as_text": (
        "rules.yaml",
        "    priority: 10\n",
        "    priority: high\n",
        "priority: high",
        ("priority", "valid integer"),
    ),
    "text_without_en": (
        "rules.yaml",
        "title: {zh: 报警, en: Call the police}",
        "title: {zh: 报警}",
        "title: {zh: 报警}",
        ("title", "missing key 'en'"),
    ),
    "bands_with_a_gap": (
        "inputs.yaml",
        "      min: 8\n      max: 30",
        "      min: 9\n      max: 30",
        "    overdue_8_30:",
        ("gap: 8–8 is in no band",),
    ),
    "bands_overlapping": (
        "inputs.yaml",
        "      min: 8\n      max: 30",
        "      min: 7\n      max: 30",
        "    overdue_8_30:",
        ("overlap", "'overdue_8_30' starts at 7"),
    ),
    "band_beyond_input_max": (
        "inputs.yaml",
        "      max: 36500\n      label: {zh: 逾期90天以上",
        "      max: 40000\n      label: {zh: 逾期90天以上",
        "    overdue_over_90:",
        ("ends at 40000", "above the input's max 36500"),
    ),
    "rule_with_missing_advice": (
        "rules.yaml",
        "advice: [expect_court]",
        "advice: [expect_courts]",
        "advice: [expect_courts]",
        ("advice 'expect_courts' is not defined",),
    ),
    "rule_with_missing_contact": (
        "rules.yaml",
        "        advice: [keep_evidence]\n        contacts: [police]",
        "        advice: [keep_evidence]\n        contacts: [polis]",
        "contacts: [polis]",
        ("contact 'polis' is not defined",),
    ),
    "advice_citing_missing_law": (
        "rules.yaml",
        "legal_basis: [civil_code_585]",
        "legal_basis: [civil_code_586]",
        "legal_basis: [civil_code_586]",
        ("law 'civil_code_586' is not in the catalog",),
    ),
    "advice_without_basis_or_practice": (
        "rules.yaml",
        "en: Pay what you can.}\n    practice: true\n",
        "en: Pay what you can.}\n",
        "  pay_today:",
        ("legal_basis", "practice: true"),
    ),
    "duplicate_key_in_one_file": (
        "rules.yaml",
        "    priority: 10\n",
        "    priority: 10\n    priority: 11\n",
        "priority: 11",
        ("duplicate key 'priority'", "first at line"),
    ),
    "rule_id_of_a_rule_in_another_question": (
        "rules.yaml",
        "      rate_unknown:\n        label: {zh: 不清楚",
        "      harassment_no:\n        label: {zh: 不清楚",
        "      harassment_no:\n        label: {zh: 不清楚",
        ("duplicate id 'harassment_no'", "also 'harassment'"),
    ),
    "unknown_fact": (
        "rules.yaml",
        "when: {harassment: {is: false}}",
        "when: {harassed: {is: false}}",
        "when: {harassed: {is: false}}",
        ("unknown fact 'harassed'",),
    ),
    "min_on_an_enum": (
        "rules.yaml",
        'credit_reported: {in: ["yes", unknown]}',
        "credit_reported: {min: 1}",
        "credit_reported: {min: 1}",
        ("'min' does not apply to enum 'credit_reported'", "use in"),
    ),
    "undeclared_enum_value": (
        "rules.yaml",
        'credit_reported: {in: ["yes", unknown]}',
        'credit_reported: {in: ["yes", maybe]}',
        "maybe]}",
        ("['maybe'] not among the values of 'credit_reported'",),
    ),
    "is_null_on_a_non_nullable_boolean": (
        "rules.yaml",
        "when: {harassment: {is: false}}",
        "when: {harassment: {is: null}}",
        "{is: null}",
        ("'harassment' is never null",),
    ),
    "unknown_constraint": (
        "rules.yaml",
        "when: {annual_rate_percent: {max: 24}}",
        "when: {annual_rate_percent: {atmost: 24}}",
        "{atmost: 24}",
        ("unknown constraint 'atmost'",),
    ),
    "in_force_from_after_until": (
        "rules.yaml",
        "in_force: {from: 2025-12-22, until: 2026-03-31}",
        "in_force: {from: 2026-12-22, until: 2026-03-31}",
        "from: 2026-12-22",
        ("'from' 2026-12-22 is after 'until' 2026-03-31",),
    ),
    "upper_case_id": (
        "rules.yaml",
        "  use_policy:\n",
        "  Use_Policy:\n",
        "  Use_Policy:",
        ("should match pattern", "^[a-z][a-z0-9_]*$"),
    ),
    "reserved_key_defined_at": (
        "rules.yaml",
        "  call_police:\n    kind: action\n",
        "  call_police:\n    defined_at: {file: x.yaml, line: 1}\n    kind: action\n",
        "defined_at: {file: x.yaml",
        ("'defined_at' is reserved",),
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_rules_are_refused_at_their_line(mini_texts: dict[str, str], kind: str) -> None:
    file, old, new, needle, words = BROKEN[kind]
    broken = variant(mini_texts, file, old, new)
    reason = only_problem(broken, file, needle)
    for word in words:
        assert word in reason


def test_unknown_section(mini_texts: dict[str, str]) -> None:
    broken = {**mini_texts, "kb.yaml": mini_texts["kb.yaml"] + "extras:\n  a: 1\n"}
    reason = only_problem(broken, "kb.yaml", "extras:")
    assert reason.startswith("unknown section 'extras' (allowed: ")


def test_id_defined_in_two_files(mini_texts: dict[str, str]) -> None:
    broken = {**mini_texts, "more.yaml": ADVICE_PAY_TODAY}
    # files are read in name order: more.yaml first, so rules.yaml holds the duplicate
    reason = only_problem(broken, "rules.yaml", "  pay_today:")
    assert reason == "duplicate id 'pay_today' in 'advice' (first at more.yaml:2)"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path / "nowhere")
    assert [str(p) for p in caught.value.problems] == [f"{tmp_path / 'nowhere'}:0: not a folder of rules"]


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not rules", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path)
    assert [str(p) for p in caught.value.problems] == [f"{tmp_path}:0: no *.yaml files in this folder"]


def test_mini_rules_load(mini_dir: Path) -> None:
    book = load_rules(mini_dir)
    assert list(book.questions) == ["start", "stage", "harassment", "kinds", "rate", "window"]
    assert [placed.rule_id for placed in book.rules] == [
        "everyone",
        "stage_due_today",
        "stage_early",
        "stage_late",
        "harassment_yes",
        "harassment_no",
        "kind_threats",
        "kind_unsaid",
        "rate_unknown",
        "rate_low",
        "rate_high",
        "policy_open",
    ]
    assert len(book.advice) == 8
    assert set(book.laws) == {
        "civil_code_673",
        "civil_code_678",
        "civil_code_585",
        "public_order_2012_42",
        "public_order_2025_50",
    }
    assert list(book.stages.bands) == [
        "due_today",
        "just_overdue",
        "overdue_8_30",
        "overdue_31_90",
        "overdue_over_90",
    ]
    assert len(book.digest) == 64


def test_defined_at_points_at_the_definition(mini_texts: dict[str, str]) -> None:
    book = load_texts(mini_texts)
    rules, inputs = mini_texts["rules.yaml"], mini_texts["inputs.yaml"]
    assert str(book.advice["call_police"].defined_at) == f"rules.yaml:{line_of(rules, '  call_police:')}"
    rule = book.questions["window"].branches["policy_open"]
    assert str(rule.defined_at) == f"rules.yaml:{line_of(rules, '      policy_open:')}"
    band = book.stages.bands["overdue_31_90"]
    assert str(band.defined_at) == f"inputs.yaml:{line_of(inputs, '    overdue_31_90:')}"
    assert str(book.inputs["annual_rate_percent"].defined_at) == (
        f"inputs.yaml:{line_of(inputs, '  annual_rate_percent:')}"
    )


def test_digest_follows_the_texts(mini_texts: dict[str, str]) -> None:
    digest = load_texts(mini_texts).digest
    assert load_texts(dict(reversed(mini_texts.items()))).digest == digest
    reworded = variant(mini_texts, "rules.yaml", "en: Pay what you can.", "en: Pay what you are able to.")
    assert load_texts(reworded).digest != digest
    commented = {**mini_texts, "kb.yaml": mini_texts["kb.yaml"] + "# a comment\n"}
    assert load_texts(commented).digest != digest
