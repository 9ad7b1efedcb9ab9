"""One loaded knowledge base with its engine: facts in, answer out."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from kb.answer import Answer, Presenter
from kb.compiler import compile_rules, message
from kb.engine import Engine
from kb.facts import EARLIEST, AdviceRequest, check_contract
from kb.letters.render import DoesNotFit, RenderedLetter, fits, render, unmet
from kb.loader import RulesError, load_rules
from kb.model import Lang, RuleBook
from kb.serialize import AnswerWriter

RULES_ENV = "OVERDUE_ADVISOR_RULES"


def shipped_rules() -> Path:
    """The rules inside the installed package, or the repository's rules/ in a source checkout."""
    packaged = Path(__file__).parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def rules_dir(chosen: str | os.PathLike[str] | None = None) -> Path:
    """An explicit folder, else $OVERDUE_ADVISOR_RULES, else the shipped rules."""
    if chosen:
        return Path(chosen)
    from_env = os.environ.get(RULES_ENV)
    return Path(from_env) if from_env else shipped_rules()


def load_checked(directory: Path) -> RuleBook:
    """Load the rules, check that their inputs are exactly what the API accepts, and compile them:
    whatever `check` passes, the engine takes at start-up."""
    book = load_rules(directory)
    mismatches = check_contract(book)
    if mismatches:
        raise RulesError(mismatches)
    compile_rules(book)
    return book


class Advisor:
    """Compiles the rules into the engine once; `advise` is then safe from many threads."""

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
        self.presenter = Presenter(book)
        self.writer = AnswerWriter(self.presenter)

    @classmethod
    def from_folder(cls, directory: str | os.PathLike[str] | None = None) -> Advisor:
        return cls(load_checked(rules_dir(directory)))

    def advise_bytes(self, request: AdviceRequest) -> bytes:
        """The answer as JSON bytes: the same bytes as `advise(request).json_bytes()`, assembled
        from parts serialised once."""
        as_of: date = request.day()
        facts = request.facts()
        fired = self.engine.fired(message(self.book, facts, as_of))
        return self.writer.answer(facts, as_of, request.lang, fired, request.diagram_url(), request.detail)

    def advise(self, request: AdviceRequest) -> Answer:
        as_of: date = request.day()
        facts = request.facts()
        fired = self.engine.fired(message(self.book, facts, as_of))
        return self.presenter.answer(
            facts, as_of, request.lang, fired, request.diagram_url(), request.detail
        )

    def letter(
        self,
        kind: str,
        request: AdviceRequest,
        details: dict[str, str | int | float],
        lang: Lang,
        explain_in: Lang = "en",
    ) -> RenderedLetter:
        """The letter of this kind for these facts and details, if the engine finds that it fits;
        else DoesNotFit, naming (in `explain_in`) the parts of its condition the facts do not meet."""
        as_of: date = request.day()
        facts = request.facts()
        fired = self.engine.fired(message(self.book, facts, as_of))
        if not fits(self.book, kind, fired):
            raise DoesNotFit(kind, unmet(self.book, kind, facts, as_of, explain_in))
        return render(self.book, kind, facts, as_of, details, lang)
