"""A borrower's case as command-line flags, one per field of the API request, and back.

The flags come from `AdviceRequest` itself, so every command that takes a case (`advise`,
`letter`, `explain`) knows every field of the contract, 1.1 included, and refuses what the API
refuses with the same words.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError

from kb.facts import AdviceRequest, field_errors


def _choices(annotation: Any) -> list[str] | None:
    """The values of a Literal field (also inside `list[...]` or `... | None`), else None."""
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is Literal:
            return [str(v) for v in get_args(candidate)]
        if get_origin(candidate) is list:
            return _choices(get_args(candidate)[0])
    return None


def add_case_arguments(parser: argparse.ArgumentParser, leave_out: tuple[str, ...] = ()) -> None:
    for name, info in AdviceRequest.model_fields.items():
        if name in leave_out:
            continue
        flag = "--" + name.replace("_", "-")
        annotation = info.annotation
        kinds = {a for a in (annotation, *get_args(annotation)) if a is not type(None)}
        required = info.is_required()
        text = info.description
        if bool in kinds:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, required=required, help=text)
        elif get_origin(annotation) is list:
            parser.add_argument(flag, metavar="VALUE,VALUE", help=f"{text} (comma-separated)")
        elif _choices(annotation):
            parser.add_argument(flag, choices=_choices(annotation), required=required, help=text)
        elif int in kinds or any(get_origin(k) is not None and int in get_args(k) for k in kinds):
            parser.add_argument(flag, type=int, required=required, help=text)
        elif float in kinds or any(float in get_args(k) for k in kinds):
            parser.add_argument(flag, type=float, required=required, help=text)
        else:
            parser.add_argument(flag, metavar="YYYY-MM-DD" if name == "as_of" else None, help=text)


def case_from_arguments(args: argparse.Namespace, leave_out: tuple[str, ...] = ()) -> AdviceRequest | None:
    """The request the flags describe, or None after printing what is refused (as the API would)."""
    chosen: dict[str, Any] = {}
    for name, info in AdviceRequest.model_fields.items():
        value = None if name in leave_out else getattr(args, name, None)
        if value is None:
            continue
        if get_origin(info.annotation) is list:
            value = [part for part in value.split(",") if part]
        chosen[name] = value
    try:
        return AdviceRequest.model_validate_json(json.dumps(chosen))
    except ValidationError as error:
        for problem in field_errors(error):
            print(f"--{problem['field'].replace('_', '-')}: {problem['message']}", file=sys.stderr)
        return None
