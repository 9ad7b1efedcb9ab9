"""The body of `POST /letters/<kind>` (and of `overdue-advisor letter`), validated strictly.

Each kind takes its own details: `letter_request` narrows `details` to the fields the kind declares
in rules/letters/, so that one model both refuses an unknown detail (400, with the body's other
faults, before the letter is fitted to the facts) and describes the kind in /openapi.json.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from typing_extensions import TypedDict

from kb.facts import REQUEST_FIELDS, AdviceRequest, Fields
from kb.model import Lang, LetterField, RuleBook

Detail = Annotated[str, Field(max_length=16000)] | Annotated[float, Field(allow_inf_nan=False)] | int

# the media type of a Word file (kept here so that naming it imports no docx library)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# what a refused detail may be, said of any refused value in `details`
DETAIL_WORDS = "a text (at most 16,000 characters) or a number"
# what is said of a detail the letter does not take ({} is its fields, comma-separated)
UNKNOWN_DETAIL = "this letter takes: {}"


class LetterRequest(BaseModel):
    """A letter for one borrower: her facts, the details to fill in, the language and the format."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    facts: AdviceRequest = Field(description="The /advise request: the letter must fit these facts.")
    details: dict[Annotated[str, Field(max_length=64)], Detail] = Field(
        default_factory=dict,
        description=(
            "Names, numbers and dates to fill in, by field name (each kind's fields are in its own "
            "request model). A field left out is a visible blank to fill by hand."
        ),
    )
    lang: Lang = Field(default="zh", description="Language of the letter.")
    format: Literal["text", "docx"] = Field(
        default="text", description="text: text/plain; charset=utf-8. docx: a Word document."
    )


def letter_request(book: RuleBook, kind: str) -> type[LetterRequest]:
    """The body a letter kind takes: a LetterRequest whose `details` are the kind's fields only."""
    return _letter_request(kind, tuple(book.letters[kind].fields.items()))


@lru_cache(maxsize=64)
def _letter_request(kind: str, fields: tuple[tuple[str, LetterField], ...]) -> type[LetterRequest]:
    # keyed by the lawyers' declaration of the fields, as compiled templates are by their text
    name = "".join(word[:1].upper() + word[1:] for word in kind.split("_"))
    details: Any = TypedDict(
        f"{name}Details",
        {
            field_name: Annotated[
                Detail,
                Field(
                    description=f"{field.label.en} ({field.label.zh})",
                    examples=[field.example.en] if field.example else None,
                ),
            ]
            for field_name, field in fields
        },
        total=False,
    )
    details.__pydantic_config__ = ConfigDict(strict=True, extra="forbid")
    model: type[LetterRequest] = create_model(
        f"{name}Letter",
        __base__=LetterRequest,
        __doc__=f"The body of POST /letters/{kind}: the facts, the details to fill in, language and format.",
        details=(
            details,
            Field(
                default_factory=dict,
                description=(
                    "The details this letter fills in, by name, each a text or a number; any left "
                    "out is a visible blank to fill by hand."
                ),
            ),
        ),
    )
    return model


def letter_fields(book: RuleBook, kind: str) -> Fields:
    """The fields of a letter kind's body, for the words of a refusal (kb.facts.field_errors)."""
    details = Fields(tuple(book.letters[kind].fields), unknown=UNKNOWN_DETAIL, value=DETAIL_WORDS)
    return Fields(tuple(LetterRequest.model_fields), inner={"facts": REQUEST_FIELDS, "details": details})
