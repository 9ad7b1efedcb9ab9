"""The `overdue-advisor` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ARTICLE_CASE

from kb.advisor import RULES_ENV, Advisor
from kb.facts import AdviceRequest

CLI = Path(sys.executable).parent / "overdue-advisor"
MINI = Path(__file__).parent / "fixtures" / "mini"
CASE = [
    "--days-overdue", "7", "--harassment", "--harassment-kinds", "contacts_third_parties",
    "--hardship", "long_term", "--credit-reported", "unknown", "--first-time-borrower",
    "--as-of", "2026-11-29",
]  # fmt: skip


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


def test_check_accepts_the_shipped_rules() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "rules" in result.stdout and "advice items" in result.stdout


def test_check_refuses_a_broken_copy_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True)
    rules = tmp_path / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("priority: 5\n", "priority: soon\n"), encoding="utf-8")
    line = text[: text.index("priority: 5\n")].count("\n") + 1
    result = run("check", "--rules", str(tmp_path))
    assert result.returncode == 1
    assert f"rules.yaml:{line}: priority:" in result.stderr


def test_rules_folder_from_the_environment(tmp_path: Path) -> None:
    result = run("check", env={RULES_ENV: str(MINI)})
    assert result.returncode == 0
    assert str(MINI) in result.stdout
    assert "12 rules" in result.stdout


def test_advise_json_is_the_api_answer() -> None:
    result = run("advise", *CASE, "--json", "--lang", "en")
    assert result.returncode == 0, result.stderr
    request = AdviceRequest.model_validate_json(json.dumps({**ARTICLE_CASE, "lang": "en"}))
    assert json.loads(result.stdout) == json.loads(Advisor.from_folder().advise(request).model_dump_json())


def test_advise_text_is_readable_in_the_asked_language() -> None:
    result = run("advise", *CASE)
    assert result.returncode == 0, result.stderr
    answer = Advisor.from_folder().advise(AdviceRequest.model_validate_json(json.dumps(ARTICLE_CASE)))
    text = result.stdout
    # the summary comes first: the headline, the first steps, the reassurance, then the lists
    assert text.startswith(answer.summary.headline + "\n")
    titles = {item.id: item.title for item in answer.actions}
    first_list = text.index("\n今天就做:")
    for step in answer.summary.first_steps:
        assert -1 < text.index(titles[step]) < first_list
    assert answer.summary.reassurance
    for sentence in answer.summary.reassurance:
        assert -1 < text.index(sentence) < first_list
    assert f"逾期阶段: {answer.stage.label}" in text
    for item in answer.actions + answer.avoid:
        assert item.title in text
    # the actions come under the heading of their urgency, today's first, numbered on
    headings = {"今天就做:": "now", "这周内做:": "this_week", "之后再做:": "later", "不要做的:": None}
    found: dict[str, str] = {}
    level: str | None = None
    for line in text[first_list:].splitlines():
        if line in headings:
            level = headings[line]
        elif level and line[:4].strip().rstrip(".").isdigit():
            found[line.split(". ", 1)[1]] = level
    assert found == {item.title: item.urgency for item in answer.actions}


def test_advise_brief_text_gives_titles_and_citations_without_steps() -> None:
    result = run("advise", *CASE, "--lang", "en", "--detail", "brief")
    assert result.returncode == 0, result.stderr
    full = Advisor.from_folder().advise(
        AdviceRequest.model_validate_json(json.dumps({**ARTICLE_CASE, "lang": "en"}))
    )
    text = result.stdout
    for item in full.actions + full.avoid:
        assert item.title in text
        for step in item.steps:
            assert step not in text
    cited = next(item for item in full.actions if item.legal_basis)
    assert f"{cited.legal_basis[0].law} {cited.legal_basis[0].article}" in text


def test_advise_refuses_a_bad_value_naming_the_flag() -> None:
    result = run(
        "advise",
        "--days-overdue",
        "40000",
        "--no-harassment",
        "--hardship",
        "none",
        "--credit-reported",
        "no",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("--days-overdue:")
    flags = [*CASE[:2], "--no-harassment", "--harassment-kinds", "threats", *CASE[5:9], *CASE[-2:]]
    kinds = run("advise", *flags)
    assert kinds.returncode == 2
    assert "--harassment-kinds:" in kinds.stderr


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    """`overdue-advisor advise ... | head -1`: the command ends quietly when its reader goes away."""
    process = subprocess.Popen(
        [str(CLI), "advise", *CASE, "--lang", "zh"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the answer is written (Python starts slower)
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
