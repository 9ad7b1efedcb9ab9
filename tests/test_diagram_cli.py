"""`overdue-advisor diagrams`: writes the audit set; `--check` fails after a rules change until re-run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MINI

from kb.cli import main

NAMES = 19  # ((tree: svg, pdf) + 6 questions (svg) + (rules: svg)) in zh and en, and MANIFEST.json


def diagrams(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["diagrams", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_check_fails_after_a_rules_change_until_diagrams_is_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, out = tmp_path / "rules", tmp_path / "diagrams"
    shutil.copytree(MINI, rules)
    common = ("--rules", str(rules), "--out", str(out))

    code, said = diagrams(capsys, *common, "--check")
    assert code == 1 and f"{out / 'tree.zh.svg'}: missing" in said

    assert diagrams(capsys, *common)[0] == 0
    assert len(list(out.iterdir())) == NAMES
    assert not list(out.glob("*.png"))  # pixels are drawn on request, never committed
    code, said = diagrams(capsys, *common, "--check")
    assert (code, said.strip()) == (0, f"ok: {out}: {NAMES - 1} diagrams and MANIFEST.json match the rules")

    # a lawyer rewords one advice title: every diagram that shows it is out of date
    rules_file = rules / "rules.yaml"
    rules_file.write_text(
        rules_file.read_text(encoding="utf-8").replace(
            "en: Keep evidence}", "en: Keep every piece of evidence}"
        ),
        encoding="utf-8",
    )
    code, said = diagrams(capsys, *common, "--check")
    assert code == 1
    assert f"{out / 'tree.en.svg'}: differs from what the rules give" in said
    assert f"{out / 'tree.en.pdf'}: differs from what the rules give" in said
    assert f"{out / 'rules.en.svg'}: differs from what the rules give" in said
    assert f"{out / 'MANIFEST.json'}: differs from what the rules give" in said
    assert f"{out / 'question-kinds.en.svg'}" not in said  # no kind of harassment gives that advice

    code, said = diagrams(capsys, *common)
    assert code == 0 and "written" in said
    assert "Keep every piece of evidence" in (out / "tree.en.svg").read_text(encoding="utf-8")
    assert diagrams(capsys, *common, "--check")[0] == 0


def test_check_names_missing_and_extra_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "diagrams"
    common = ("--rules", str(MINI), "--out", str(out))
    assert diagrams(capsys, *common)[0] == 0
    (out / "question-stage.zh.svg").unlink()
    (out / "tree.en.png").write_bytes(b"\x89PNG")  # a PNG of an older version
    (out / "old-stage.en.svg").write_text("<svg/>", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, said = diagrams(capsys, *common, "--check")
    assert code == 1
    assert f"{out / 'question-stage.zh.svg'}: missing" in said
    assert f"{out / 'tree.en.png'}: not made from the rules (extra file)" in said
    assert f"{out / 'old-stage.en.svg'}: not made from the rules (extra file)" in said
    assert f"{out / 'notes.txt'}: not made from the rules (extra file)" in said

    # re-running restores the missing file and removes the stale diagram, never a file of someone's
    code, said = diagrams(capsys, *common)
    assert code == 0 and "1 written, 2 removed" in said
    assert (out / "notes.txt").exists() and not (out / "old-stage.en.svg").exists()
    assert not (out / "tree.en.png").exists()
    code, said = diagrams(capsys, *common, "--check")
    assert code == 1 and said.count("extra file") == 1


def test_two_runs_give_byte_identical_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert diagrams(capsys, "--rules", str(MINI), "--out", str(first))[0] == 0
    assert diagrams(capsys, "--rules", str(MINI), "--out", str(second))[0] == 0
    for made in sorted(first.iterdir()):
        assert made.read_bytes() == (second / made.name).read_bytes(), made.name


def test_png_are_drawn_into_a_folder_of_their_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, png = tmp_path / "diagrams", tmp_path / "build" / "png"
    code, said = diagrams(capsys, "--rules", str(MINI), "--out", str(out), "--png", str(png))
    assert code == 0 and not out.exists()
    names = sorted(path.name for path in png.iterdir())
    assert "tree.zh.png" in names and "question-kinds.en.png" in names and "stage-due_today.en.png" in names
    assert all(name.endswith(".png") for name in names)
    assert (png / "rules.en.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    code, said = diagrams(capsys, "--rules", str(MINI), "--out", str(out), "--png", str(out))
    assert code == 2 and "not kept in" in said


def test_broken_rules_draw_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI, rules)
    (rules / "rules.yaml").write_text("questions: [", encoding="utf-8")
    code, said = diagrams(capsys, "--rules", str(rules), "--out", str(tmp_path / "out"))
    assert code == 1 and "rules.yaml:" in said
    assert not (tmp_path / "out").exists()
