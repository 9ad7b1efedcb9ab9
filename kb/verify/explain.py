"""Counterfactuals for one case: the nearest changes of its facts that would change the advice.

For every input, the nearest values across the thresholds the rules use (the next and previous
cell of a number, e.g. the first day of the next stage), the other value of a boolean, each other
value of an enum, each kind of a set added or removed, and unknown/known for a nullable fact. Each
changed request that the API would accept is answered and compared with the case's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kb.answer import Answer
from kb.facts import AdviceRequest
from kb.model import RuleBook
from kb.verify.regions import Domain


@dataclass(frozen=True)
class Counterfactual:
    field: str
    before: Any
    after: Any
    stage: tuple[str, str] | None  # (before, after) when the stage changes
    added: tuple[str, ...]  # advice the change would add
    removed: tuple[str, ...]  # advice it would remove

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "from": self.before,
            "to": self.after,
            "stage": list(self.stage) if self.stage else None,
            "adds": list(self.added),
            "removes": list(self.removed),
        }


def _alternatives(domain: Domain, name: str, value: Any) -> Iterator[Any]:
    spec = domain.book.inputs[name]
    if spec.type == "boolean":
        yield from (v for v in (True, False) if v != value)
    elif spec.type == "enum":
        yield from (v for v in spec.values or {} if v != value)
    elif spec.type == "set":
        chosen = list(value or ())
        for option in spec.values or {}:
            yield sorted({*chosen} ^ {option})
    elif value is None:
        yield next(cell.value for cell in domain.cells[name] if cell.value is not None)
    else:  # the nearest value of the next and of the previous cell
        cells = [cell for cell in domain.cells[name] if cell.value is not None]
        points = sorted({edge for cell in cells for edge in cell.span or (cell.value,)})
        above = [p for p in points if p > value and not _same_cell(domain, name, value, p)]
        below = [p for p in points if p < value and not _same_cell(domain, name, value, p)]
        if above:
            yield above[0]
        if below:
            yield below[-1]
    if spec.nullable and value is not None:
        yield None


def _same_cell(domain: Domain, name: str, one: Any, other: Any) -> bool:
    for cell in domain.cells[name]:
        if cell.span and cell.span[0] <= one <= cell.span[1]:
            return cell.span[0] <= other <= cell.span[1]
    return one == other


def explain(
    book: RuleBook, request: AdviceRequest, answer_of: Callable[[AdviceRequest], Answer]
) -> list[Counterfactual]:
    domain = Domain(book)
    original = answer_of(request)
    given = _ids(original)
    body = json.loads(request.model_dump_json())
    found = []
    for name in book.inputs:
        for value in _alternatives(domain, name, body.get(name)):
            changed = {**body, name: value}
            if value is None:
                changed.pop(name)
            try:
                other = AdviceRequest.model_validate_json(json.dumps(changed))
            except ValidationError:
                continue
            answer = answer_of(other)
            ids = _ids(answer)
            stage = (original.stage.id, answer.stage.id) if answer.stage.id != original.stage.id else None
            added, removed = tuple(sorted(ids - given)), tuple(sorted(given - ids))
            if stage or added or removed:
                found.append(Counterfactual(name, body.get(name), value, stage, added, removed))
    return found


def _ids(answer: Answer) -> set[str]:
    return {item.id for item in [*answer.actions, *answer.avoid]}


def render_text(items: list[Counterfactual], titles: Mapping[str, str]) -> str:
    if not items:
        return "no change of one fact changes this advice"
    lines = []
    for item in items:
        head = f"{item.field}: {json.dumps(item.before)} → {json.dumps(item.after)}"
        if item.stage:
            head += f" (stage {item.stage[0]} → {item.stage[1]})"
        lines.append(head)
        lines.extend(f"    + {aid}: {titles.get(aid, aid)}" for aid in item.added)
        lines.extend(f"    - {aid}: {titles.get(aid, aid)}" for aid in item.removed)
    return "\n".join(lines)
