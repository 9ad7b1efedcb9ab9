"""Letters and their details are never stored, cached or logged: a marker sent in the details of
every letter reaches the letter itself and nothing else — no log record at any level in the app,
no line of the production server's output, no file the server writes."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import docx
import pytest
import requests
from conftest import ARTICLE_CASE, for_the_server, running_server
from test_letters import IDENTITY_CASE, PAYMENT_ORDER_CASE

from kb.advisor import Advisor, load_checked, shipped_rules
from kb.facts import AdviceRequest
from kb.letters.render import documents, render
from kb.reference import fired_rules
from webapi import create_app

CASES = (ARTICLE_CASE, PAYMENT_ORDER_CASE, IDENTITY_CASE)


def letter_requests(book: Any, marker: str) -> list[tuple[str, dict[str, Any]]]:
    """Every fitting letter of the three cases in both languages and formats, each of its fields
    holding the marker; one letter that does not fit and one with an unknown detail as well."""
    found = []
    for case in CASES:
        request = AdviceRequest.model_validate_json(json.dumps(case))
        for kind in documents(book, fired_rules(book, request.facts(), request.day())):
            details = {name: f"{marker} {name}" for name in book.letters[kind].fields}
            for lang in ("zh", "en"):
                for fmt in ("text", "docx"):
                    found.append((kind, {"facts": case, "details": details, "lang": lang, "format": fmt}))
    found.append(("payment_order_objection", {"facts": ARTICLE_CASE, "details": {"court": marker}}))
    found.append(("hardship_statement", {"facts": ARTICLE_CASE, "details": {"court": marker}}))
    return found


def shows_marker(status: int, content: bytes, body: dict[str, Any], marker: str) -> bool:
    if status != 200:
        return False
    if body.get("format") == "docx":
        return any(marker in p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    return marker in content.decode()


def test_no_log_record_at_any_level_holds_a_detail(caplog: pytest.LogCaptureFixture) -> None:
    advisor = Advisor(load_checked(shipped_rules()))
    client = create_app(advisor=advisor).test_client()
    marker = f"PRIVATE-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    shown = 0
    for kind, body in letter_requests(advisor.book, marker):
        response = client.post(f"/letters/{kind}", json=body)
        assert response.status_code in (200, 400, 422)
        shown += shows_marker(response.status_code, response.data, body, marker)
    assert shown >= 30
    records = [f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records]
    assert [r for r in records if marker in r] == []


def test_the_server_writes_no_detail_anywhere(
    tmp_path: Path, service_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gunicorn as `overdue-advisor serve` runs it, with its working folder, home and temporary
    folder inside a folder of the test's, so every file it could write is searched. (Started by
    root, it runs as the service account, whose home is /nonexistent.)"""
    work, home, temporary = service_tmp / "work", service_tmp / "home", service_tmp / "tmp"
    for folder in (work, home, temporary):
        folder.mkdir()
        for_the_server(folder)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temporary))
    marker = f"PRIVATE-{uuid.uuid4().hex}"
    book = load_checked(shipped_rules())
    log = tmp_path / "server.log"
    sent = 0
    with running_server(log, workers=2) as base:
        for kind, body in letter_requests(book, marker):
            response = requests.post(f"{base}/letters/{kind}", json=body, timeout=30)
            assert response.status_code in (200, 400, 422)
            sent += shows_marker(response.status_code, response.content, body, marker)
        assert requests.post(f"{base}/advise", json=ARTICLE_CASE, timeout=30).status_code == 200
    assert sent >= 30  # the marker did go through the server, into the letters
    output = log.read_bytes()
    assert b"POST /letters/" in output  # the server does log requests: paths, never bodies
    assert marker.encode() not in output
    written = [p for folder in (work, home, temporary) for p in folder.rglob("*") if p.is_file()]
    assert [p for p in written if marker.encode() in p.read_bytes()] == []


def test_the_reused_docx_template_keeps_nothing_of_a_letter() -> None:
    """The .docx is written into a prepared document reused per language: once written, the
    letter's paragraphs and title are gone from it."""
    from kb.letters import word

    book = load_checked(shipped_rules())
    request = AdviceRequest.model_validate_json(json.dumps(PAYMENT_ORDER_CASE))
    marker = f"PRIVATE-{uuid.uuid4().hex}"
    for lang in ("zh", "en"):
        facts, day = request.facts(), request.day()
        letter = render(book, "payment_order_objection", facts, day, {"court": marker}, lang)
        assert marker in "".join(p.text for p in docx.Document(io.BytesIO(word.as_docx(letter))).paragraphs)
        prepared = word._prepared(lang)
        assert [child.tag.rsplit("}", 1)[1] for child in prepared.element.body] == ["sectPr"]
        assert prepared.core_properties.title == ""
