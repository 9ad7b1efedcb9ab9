"""The borrower's facts as a client sends them: the `/advise` request, validated strictly.

This one pydantic model validates API requests and CLI flags and is the source of the request
schema in /openapi.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from kb.loader import Problem
from kb.model import Input, Lang, RuleBook

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
CHINA = ZoneInfo("Asia/Shanghai")
DIAGRAM_PATH = "/diagrams/path.svg"

HarassmentKind = Literal[
    "contacts_third_parties",
    "threats",
    "insults",
    "call_bombing",
    "visits",
    "fake_legal_documents",
    "odd_hours",
    "public_shaming",
    "claims_criminal_case",
]
HARASSMENT_KINDS: tuple[str, ...] = get_args(HarassmentKind)
YesNoUnknown = Literal["yes", "no", "unknown"]
# request fields that say how to answer, not what the borrower's situation is
NOT_FACTS = frozenset({"lang", "as_of", "detail"})
ADDED_IN_1_1 = frozenset(
    {
        "days_until_due",
        "served_days_ago",
        "debt_sold",
        "plan_agreed",
        "credit_card_debt",
        "identity_misused",
        "guarantee",
        "amount_owed_yuan",
        "student",
        "safety_risk",
    }
)


class AdviceRequest(BaseModel):
    """A borrower's situation. Unknown fields, wrong types and out-of-range values are refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    days_overdue: Annotated[int, Field(ge=0, le=36500)] = Field(
        description="Days since the missed due date (0 = due today, not yet overdue)."
    )
    harassment: bool = Field(description="Collectors are harassing the borrower.")
    harassment_kinds: list[HarassmentKind] = Field(
        default_factory=list,
        max_length=len(HARASSMENT_KINDS),  # bounds the work and the errors of a refused body
        json_schema_extra={"uniqueItems": True},
        description="Kinds of harassment; non-empty only with harassment: true.",
    )
    hardship: Literal["none", "temporary", "long_term"] = Field(
        description=(
            "none; temporary (late salary, one-off expense); "
            "long_term (job loss, serious illness, lasting income drop)."
        )
    )
    credit_reported: YesNoUnknown = Field(
        description="The overdue is already on the central-bank credit report."
    )
    first_time_borrower: bool | None = Field(
        default=None, description="No earlier credit history; null = not known."
    )
    lender_licensed: YesNoUnknown = Field(
        default="unknown", description="The lender is a licensed institution."
    )
    annual_rate_percent: Annotated[float, Field(ge=0, le=10000, allow_inf_nan=False)] | None = Field(
        default=None, description="The loan's all-in annualised cost (interest plus fees), in percent."
    )
    legal_action: Literal[
        "none",
        "payment_order",
        "lawsuit",
        "judgment",
        "arbitration",
        "notarized_enforcement",
        "enforcement",
    ] = Field(
        default="none",
        description=(
            "What has reached the borrower: a payment order, a lawsuit, a judgment from a court; an "
            "arbitration application or award; a notarised enforceable debt instrument; court "
            "enforcement (frozen accounts, spending ban, dishonest-debtor list)."
        ),
    )
    other_loans: Annotated[int, Field(ge=0, le=1000)] = Field(
        default=0, description="Other outstanding online loans."
    )
    days_until_due: Annotated[int, Field(ge=1, le=365)] | None = Field(
        default=None,
        description="The payment is not due yet: days until it is. Only with days_overdue 0.",
    )
    served_days_ago: Annotated[int, Field(ge=0, le=3650)] | None = Field(
        default=None,
        description=(
            "Days since the court, arbitration or notary paper reached the borrower. "
            "Only with a legal_action other than none."
        ),
    )
    debt_sold: bool = Field(default=False, description="A notice says the debt was sold to another company.")
    plan_agreed: Literal["none", "kept", "broken"] = Field(
        default="none", description="An instalment or deferral plan was agreed, and is kept or was broken."
    )
    credit_card_debt: bool = Field(default=False, description="The borrower also owes on a bank credit card.")
    identity_misused: bool = Field(
        default=False, description="Someone else took out the loan in the borrower's name."
    )
    guarantee: Literal["none", "company_paid", "personal_guarantor"] = Field(
        default="none",
        description=(
            "company_paid: a guarantee or insurance company repaid the lender and now collects; "
            "personal_guarantor: a relative or friend guaranteed the loan."
        ),
    )
    amount_owed_yuan: Annotated[float, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = Field(
        default=None, description="What the borrower owes on this loan, principal and charges, in yuan."
    )
    student: bool = Field(default=False, description="The borrower is a college student.")
    safety_risk: bool = Field(
        default=False,
        description="The borrower feels unsafe or has thought of self-harm: crisis help comes first.",
    )
    lang: Lang = Field(default="zh", description="Language of every text in the answer.")
    detail: Literal["full", "brief"] = Field(
        default="full",
        description="brief: the summary and each item's id, title, urgency and citation ids, no steps.",
    )
    as_of: date | None = Field(
        default=None,
        description=(
            "The date the advice is for, YYYY-MM-DD, 2000-01-01 to 2100-12-31; "
            "default today in Asia/Shanghai."
        ),
    )

    @field_validator("harassment_kinds")
    @classmethod
    def _kinds(cls, kinds: list[str], info: ValidationInfo) -> list[str]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("each kind may appear only once")
        if kinds and info.data.get("harassment") is False:
            raise ValueError("must be empty when harassment is false")
        return kinds

    @field_validator("days_until_due")
    @classmethod
    def _not_yet_due(cls, days: int | None, info: ValidationInfo) -> int | None:
        if days is not None and info.data.get("days_overdue", 0) != 0:
            raise ValueError("only with days_overdue 0: a payment cannot be both overdue and not yet due")
        return days

    @field_validator("served_days_ago")
    @classmethod
    def _served(cls, days: int | None, info: ValidationInfo) -> int | None:
        if days is not None and info.data.get("legal_action", "none") == "none":
            raise ValueError("only with a legal_action other than none")
        return days

    @field_validator("as_of")
    @classmethod
    def _in_range(cls, day: date | None) -> date | None:
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValueError(f"must be between {EARLIEST} and {LATEST}")
        return day

    def facts(self) -> dict[str, Any]:
        """The input values the rules see (everything but lang, as_of and detail)."""
        values = self.model_dump(exclude=NOT_FACTS)
        values["harassment_kinds"] = frozenset(self.harassment_kinds)
        return values

    def day(self) -> date:
        return self.as_of or today_in_china()

    def diagram_url(self) -> str:
        """Where the decision diagram with this request's path is drawn (same query as the facts)."""
        query: dict[str, Any] = {}
        fields = type(self).model_fields
        for name, value in self.__dict__.items():  # the validated fields, in their order
            if value is None or name == "detail":
                continue
            if name in ADDED_IN_1_1 and value == fields[name].default:
                continue  # a 1.0 request keeps its 1.0 link
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(value)
            query[name] = value
        query["as_of"] = self.day().isoformat()
        # validated values (ids, numbers, dates) hold only URL-safe characters: no quoting needed
        return f"{DIAGRAM_PATH}?" + "&".join(f"{name}={value}" for name, value in query.items())


# Fields that a request may give only together with another field's value (the validators above):
# for a value other than the default, the other field must take one of these values.
COMPANIONS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "harassment_kinds": ("harassment", (True,)),
    "days_until_due": ("days_overdue", (0,)),
    "served_days_ago": (
        "legal_action",
        ("payment_order", "lawsuit", "judgment", "arbitration", "notarized_enforcement", "enforcement"),
    ),
}


def today_in_china() -> date:
    return datetime.now(CHINA).date()


@dataclass(frozen=True)
class Fields:
    """What one JSON object of a request takes, for the words of a refusal: the names of its
    fields, what to say of a name it does not take, and the objects nested in some of its fields."""

    names: tuple[str, ...]
    unknown: str = "unknown field; the fields are: {}"  # {} is the names, comma-separated
    # one message for every refused value here, in place of the validator's words
    value: str | None = None
    inner: Mapping[str, Fields] = field(default_factory=dict)


REQUEST_FIELDS = Fields(tuple(AdviceRequest.model_fields))


def field_errors(error: ValidationError, fields: Fields = REQUEST_FIELDS) -> list[dict[str, str]]:
    """Each refused field and what is allowed, for problem details and the CLI.

    A field inside a nested object is named by its path (`facts.hardship`, `details.court`); the
    whole body, when it is no JSON object at all, is `body`. The same refusal is listed once.
    """
    out: dict[tuple[str, str], None] = {}
    for item in error.errors(include_url=False):
        loc = [str(step) for step in item["loc"]]
        level, depth = fields, 0
        while depth + 1 < len(loc) and loc[depth] in level.inner:
            level, depth = level.inner[loc[depth]], depth + 1
        name = ".".join(loc[: depth + 1]) or "body"
        out[(name, _refusal(item, level, loc[depth + 1 :], whole_body=not loc))] = None
    return [{"field": name, "message": message} for name, message in out]


def _refusal(item: ErrorDetails, fields: Fields, below: list[str], whole_body: bool) -> str:
    kind = item["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return fields.unknown.format(", ".join(fields.names) or "none")
    if fields.value is not None:
        return fields.value
    if kind == "json_invalid":
        return f"not valid JSON: {item['msg'].removeprefix('Invalid JSON: ')}"
    if kind == "model_type":
        return "the body must be a JSON object" if whole_body else "must be a JSON object"
    message = item["msg"].removeprefix("Value error, ")
    # a step below the field is a list item's index (a detail, the one union whose members pydantic
    # names, has its own words)
    return f"item {below[0]}: {message}" if below else message


def check_contract(book: RuleBook) -> list[Problem]:
    """Where the rules' declared inputs differ from what the API accepts (empty when they agree)."""
    fields = AdviceRequest.model_fields
    properties = _request_properties()
    problems = []
    for name, spec in book.inputs.items():
        if name not in fields:
            problems.append(_at(spec, f"input '{name}' is not a field of the API request"))
            continue
        values = _enum_values(properties[name])
        if spec.type in ("enum", "set") and set(spec.values or {}) != values:
            problems.append(_at(spec, f"values of '{name}' differ from the API's {sorted(values)}"))
    for name in fields:
        if name not in book.inputs and name not in NOT_FACTS:
            problems.append(Problem("inputs", 0, f"the API field '{name}' is not declared as an input"))
    return problems


@lru_cache(maxsize=1)
def _request_properties() -> dict[str, Any]:
    """The request's JSON schema properties (building the schema takes tens of milliseconds)."""
    return dict(AdviceRequest.model_json_schema()["properties"])


def _at(spec: Input, reason: str) -> Problem:
    return Problem(spec.defined_at.file, spec.defined_at.line, reason)


def _enum_values(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key, value in schema.items():
        if key == "enum":
            found.update(v for v in value if v is not None)
        elif isinstance(value, dict):
            found |= _enum_values(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found |= _enum_values(item)
    return found
