"""The body of `POST /letters/<kind>` (and of `overdue-advisor letter`), validated strictly."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.facts import AdviceRequest
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


def letter_field_errors(error: ValidationError) -> list[dict[str, str]]:
    """Each refused field, named by its path (`facts.hardship`, `details.court`), and what is allowed."""
    out: dict[str, str] = {}
    for item in error.errors(include_url=False):
        loc = [str(step) for step in item["loc"]]
        kind = item["type"]
        if loc[:1] == ["details"] and len(loc) > 1:
            field = f"details.{loc[1]}"
            message = "a text (at most 16,000 characters) or a number"
        else:
            inner = loc[:1] == ["facts"] and len(loc) > 1
            field = ".".join(loc[:2]) if inner else (loc[0] if loc else "body")
            allowed = AdviceRequest.model_fields if inner else LetterRequest.model_fields
            if kind == "missing":
                message = "required"
            elif kind == "extra_forbidden":
                message = f"unknown field; the fields are: {', '.join(allowed)}"
            elif kind == "json_invalid":
                message = f"not valid JSON: {item['msg'].removeprefix('Invalid JSON: ')}"
            elif kind == "model_type":
                message = "must be a JSON object"
            else:
                message = item["msg"].removeprefix("Value error, ")
                if inner and len(loc) > 2:
                    message = f"item {loc[2]}: {message}"
        out.setdefault(field, message)
    return [{"field": field, "message": message} for field, message in out.items()]
