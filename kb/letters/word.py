"""A rendered letter as a .docx, built by python-docx from its lines (never from HTML or markup).

Chinese needs its own font slot: Word and WPS pick the East Asian font from `w:rFonts/@w:eastAsia`,
not from the Latin name python-docx sets, and without it may show boxes or a mismatched fallback.
We name SimSun (宋体), which every Chinese Windows, WPS and Office for Mac install has; where it is
missing, Word and WPS substitute their default CJK font (e.g. Songti SC, Noto Serif CJK SC), which
still shows the text. The page is A4, as Chinese courts and offices expect.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from kb.letters.render import RenderedLetter
from kb.letters.request import DOCX_TYPE  # noqa: F401  (named here too, beside as_docx)
from kb.model import LANGS, Lang

LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONT = "SimSun"  # 宋体


def _fonts(style_or_run: object, size: float, chinese: bool) -> None:
    font = style_or_run.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    font.size = Pt(size)
    properties = style_or_run.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = properties.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    if chinese:  # quotes and dashes, which both scripts use, in the Chinese font
        fonts.set(qn("w:hint"), "eastAsia")


@lru_cache(maxsize=len(LANGS))
def _prepared(lang: Lang) -> Any:
    """An empty A4 document with the fonts set: python-docx takes about as long to open its
    template as to save a letter, so each language's is opened once and reused (under a lock)."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    normal = document.styles["Normal"]
    chinese = lang == "zh"
    _fonts(normal, 12, chinese)
    language = OxmlElement("w:lang")
    normal.element.get_or_add_rPr().append(language)
    language.set(qn("w:eastAsia"), "zh-CN")
    language.set(qn("w:val"), "zh-CN" if chinese else "en-US")
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.3
    properties = document.core_properties
    for name in ("author", "last_modified_by", "comments", "keywords", "subject", "title"):
        setattr(properties, name, "")
    return document


_LOCK = threading.Lock()


def as_docx(letter: RenderedLetter) -> bytes:
    buffer = BytesIO()
    with _LOCK:
        document = _prepared(letter.lang)
        body = document.element.body
        try:
            title = document.add_paragraph()
            title.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = title.add_run(letter.title)
            run.bold = True
            _fonts(run, 16, letter.lang == "zh")
            for line in letter.lines:
                if line:  # paragraph spacing stands for the text's empty lines
                    # python-docx escapes the text for XML and turns a newline into a break:
                    # markup stays literal
                    document.add_paragraph(line)
            document.core_properties.title = letter.title
            document.save(buffer)
        finally:
            # nothing of the letter stays in the shared document once it is written
            for element in list(body):
                if element.tag != qn("w:sectPr"):
                    body.remove(element)
            document.core_properties.title = ""
    return buffer.getvalue()
