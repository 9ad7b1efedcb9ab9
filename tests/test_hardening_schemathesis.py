"""The API against its own OpenAPI document: schemathesis with every check, bounded and derandomised."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from kb.advisor import Advisor
from kb.facts import AdviceRequest
from webapi import create_app

schemathesis.checks.load_all_checks()
ALL_CHECKS = list(schemathesis.checks.CHECKS.get_all())
# the request's integer fields, nullable ones (anyOf integer, null) included
INTEGERS = {
    name for name, schema in AdviceRequest.model_json_schema()["properties"].items()
    if "integer" in [schema.get("type"), *(option.get("type") for option in schema.get("anyOf", ()))]
}
with pytest.MonkeyPatch.context() as environment:
    environment.setenv("OVERDUE_ADVISOR_PATH_RATE", "100000")  # every generated case is drawn
    APP = create_app(advisor=Advisor.from_folder())
# How this API rejects a request. 413 is among them: a body over 64 KiB is refused before it is
# read, and a letter's detail one character over its 16,000 is past that once JSON escapes it.
REJECTED = ["400", "404", "405", "413", "415", "422"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
)
SCHEMA = schemathesis.openapi.from_wsgi("/openapi.json", APP, config=CONFIG)


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    """Integral floats of integer fields written as integers: JSON Schema cannot tell 7.0 from 7,
    and the contract refuses 7.0 for an integer (a client's JSON writer does not send it)."""
    if isinstance(body, dict):
        return {name: _integral(name, value) for name, value in body.items()}
    return body


def _integral(name: str, value: Any) -> Any:
    if name in INTEGERS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_openapi_document(case: schemathesis.Case) -> None:
    # the test transport hands over bytes as sent; gzip is tested on its own (test_client_apps)
    checks = ALL_CHECKS
    if case.path.startswith("/letters/"):
        # a letter that does not fit the facts is refused by design (422), however valid the body
        checks = [check for check in ALL_CHECKS if check.__name__ != "positive_data_acceptance"]
    case.call_and_validate(checks=checks, headers={"Accept-Encoding": "identity"})
