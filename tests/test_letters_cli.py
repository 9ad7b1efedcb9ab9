"""`overdue-advisor letter KIND [case flags] [--detail name=value ...] [--format docx --out FILE]`,
run as a user runs it (a real subprocess): the same letter as the API's."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
from test_cli import CASE, run
from test_letters import OBJECTION_DETAILS

from kb.advisor import Advisor
from kb.facts import AdviceRequest

PAYMENT_ORDER = [
    "--days-overdue", "120", "--no-harassment", "--hardship", "long_term", "--credit-reported", "yes",
    "--legal-action", "payment_order", "--served-days-ago", "3", "--as-of", "2026-11-29",
]  # fmt: skip


def test_a_letter_as_text_is_the_api_letter() -> None:
    result = run("letter", "hardship_statement", *CASE, "--detail", "lender=某某消费金融有限公司")
    assert result.returncode == 0, result.stderr
    advisor = Advisor.from_folder()
    case = {"days_overdue": 7, "harassment": True, "harassment_kinds": ["contacts_third_parties"],
            "hardship": "long_term", "credit_reported": "unknown", "first_time_borrower": True,
            "as_of": "2026-11-29"}  # fmt: skip
    request = AdviceRequest.model_validate_json(json.dumps(case))
    expected = advisor.letter("hardship_statement", request, {"lender": "某某消费金融有限公司"}, "zh")
    assert result.stdout == expected.text()


def test_the_objection_as_docx(tmp_path: Path) -> None:
    out = tmp_path / "objection.docx"
    details = [arg for name, value in OBJECTION_DETAILS.items() for arg in ("--detail", f"{name}={value}")]
    result = run("letter", "payment_order_objection", *PAYMENT_ORDER, *details, "--lang", "en",
                 "--format", "docx", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(out.read_bytes())).paragraphs)
    assert OBJECTION_DETAILS["case_number"] in text and "11 December 2026" in text


def test_a_letter_that_does_not_fit_says_why() -> None:
    result = run("letter", "payment_order_objection", *CASE, "--lang", "en")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "not met:\n  - received a payment order" in result.stderr


def test_bad_letter_arguments_are_refused() -> None:
    assert run("letter", "love_letter", *CASE).returncode == 2
    assert "--detail nickname" in run("letter", "hardship_statement", *CASE, "--detail", "nickname=x").stderr
    assert run("letter", "hardship_statement", *CASE, "--detail", "lender").returncode == 2
    assert run("letter", "hardship_statement", *CASE, "--format", "docx").returncode == 2


def test_advise_lists_the_letters() -> None:
    result = run("advise", *CASE, "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Letters that fit" in result.stdout and "  - stop_third_party_contact:" in result.stdout
