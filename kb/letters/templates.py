"""The letters' templates: Jinja2 in its immutable sandbox, compiled once per template text.

A template is rules content (rules/letters/*.yaml), written by lawyers; a borrower's details only
ever reach it as values, never as template source, so text such as `{{ 7*7 }}` in a detail is
printed as it is. Autoescape is off: the output is plain text, and the .docx is built from it by
python-docx, which escapes for XML itself.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kb.model import Lang, Letter

# What every template may use besides its own fields (see kb.letters.render.context).
CONTEXT = frozenset(
    {
        "today",  # the date of the letter: the request's as_of
        "served_on",  # the day the court paper reached the borrower (as_of - served_days_ago)
        "last_day",  # the last day of the letter's time limit, counted from served_on
        "days_left",  # days to last_day (negative once passed), or None
        "citations",  # the letter's legal basis in force on as_of, as "law article" strings
        "facts",  # the /advise request's facts
        "blank",  # the visible blank, to write one on purpose
    }
)

_ENVIRONMENT = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@lru_cache(maxsize=256)
def compiled(source: str) -> Template:
    """The compiled template of a template text (the key is the lawyers' text, no borrower's data)."""
    return _ENVIRONMENT.from_string(source)


def template_problem(letter: Letter, lang: Lang) -> str | None:
    """Why a letter's template cannot be used, or None: bad syntax, or a name that is neither one
    of its fields nor of the context every letter gets."""
    source = letter.body(lang)
    clash = sorted(set(letter.fields) & CONTEXT)
    if clash:
        return f"fields {clash} have the names of values every letter gets ({', '.join(sorted(CONTEXT))})"
    try:
        parsed = _ENVIRONMENT.parse(source)
    except TemplateSyntaxError as error:
        return f"template line {error.lineno}: {error.message}"
    unknown = sorted(meta.find_undeclared_variables(parsed) - CONTEXT - set(letter.fields))
    if unknown:
        return f"the template uses {unknown}, which are not among its fields"
    return None
