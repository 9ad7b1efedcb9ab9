"""A rules edit rewrites only the drawings of what it touches: no version inside any image.

A copy of the shipped rules is drawn into a git repository and committed; one question's wording
is changed, the diagrams drawn again, and git is asked which files changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kb.advisor import shipped_rules
from kb.cli import main

QUESTION = "hardship"
OLD_TEXT = 'text: {zh: "还款有困难吗？", en: "Do you have trouble repaying?"}'
NEW_TEXT = 'text: {zh: "现在还款有困难吗？", en: "Do you have trouble repaying now?"}'
# what draws the question: its own drawing, the whole tree and the rules view, and the manifest
EXPECTED = {
    f"question-{QUESTION}.zh.svg",
    f"question-{QUESTION}.en.svg",
    "tree.zh.svg",
    "tree.en.svg",
    "tree.zh.pdf",
    "tree.en.pdf",
    "rules.zh.svg",
    "rules.en.svg",
    "MANIFEST.json",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def draw(rules: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagrams", "--rules", str(rules), "--out", str(out)]) == 0
    capsys.readouterr()


def test_a_one_question_edit_changes_only_that_questions_drawings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    rules, out = repo / "rules", repo / "diagrams"
    shutil.copytree(shipped_rules(), rules)
    draw(rules, out, capsys)
    git(repo, "init", "--quiet")
    git(repo, "add", "diagrams")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "--quiet", "-m", "drawn")
    before = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))

    tree = rules / "tree.yaml"
    text = tree.read_text(encoding="utf-8")
    assert text.count(OLD_TEXT) == 1
    tree.write_text(text.replace(OLD_TEXT, NEW_TEXT), encoding="utf-8")
    draw(rules, out, capsys)

    status = git(repo, "status", "--porcelain", "--", "diagrams")
    changed = {Path(line[3:]).name for line in status.splitlines()}
    assert changed == EXPECTED
    after = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert after["rules"]["digest"] != before["rules"]["digest"]
    assert {name for name in after["files"] if after["files"][name] != before["files"][name]} == (
        EXPECTED - {"MANIFEST.json"}
    )
    drawn = (out / f"question-{QUESTION}.en.svg").read_text(encoding="utf-8")
    assert "Do you have trouble repaying now?" in drawn
    # every file of the committed set is text or the printable tree; no version string in any
    assert not [name for name in after["files"] if name.endswith(".png")]
    for name in after["files"]:
        assert after["rules"]["kb_version"].encode() not in (out / name).read_bytes(), name
        assert after["rules"]["digest"][:12].encode() not in (out / name).read_bytes(), name
