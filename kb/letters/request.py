"""The body of `POST /letters/<kind>` (and of `overdue-advisor letter`), validated strictly."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kb.facts import REQUEST_FIELDS, AdviceRequest, Fields
from kb.model import Lang

Detail = Annotated[str, Field(max_length=16000)] | Annotated[float, Field(allow_inf_nan=False)] | int

# the media type of a Word file (kept here so that naming it imports no docx library)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class LetterRequest(BaseModel):
    """A letter for one borrower: her facts, the details to fill in, the language and the format."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    facts: AdviceRequest = Field(description="The /advise request: the letter must fit these facts.")
    details: dict[Annotated[str, Field(max_length=64)], Detail] = Field(
        default_factory=dict,
        description=(
            "Names, numbers and dates to fill in, by field name (see the review pages for each "
            "kind's fields). A field left out is a visible blank to fill by hand."
        ),
    )
    lang: Lang = Field(default="zh", description="Language of the letter.")
    format: Literal["text", "docx"] = Field(
        default="text", description="text: text/plain; charset=utf-8. docx: a Word document."
    )


# what a refused detail may be, said of any refused value in `details`
DETAIL_WORDS = "a text (at most 16,000 characters) or a number"

# the fields of a letter's body, for the words of a refusal (kb.facts.field_errors)
LETTER_FIELDS = Fields(
    tuple(LetterRequest.model_fields),
    inner={"facts": REQUEST_FIELDS, "details": Fields((), value=DETAIL_WORDS)},
)
