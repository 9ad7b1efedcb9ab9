"""The durable-rules engine, driven directly: rulesets registered once, one standing state each.

The engine has no locking of its own and fails hard past its limits (durable-rules-notes.md), so
every evaluation runs under one process-wide lock. Each ruleset keeps one state for the life of
the engine: an evaluation asserts the borrower's facts into it as a fact with a fresh id, runs the
actions, and retracts the fact in `finally`, so the state is empty again. A new state per
evaluation (as in 1.0) costs time in proportion to the number of rules (the engine allocates
frame pools for every rule of the ruleset when it creates a state, and frees them on delete:
about 1 ms per evaluation at 1,000 rules); a standing state costs it once. When the engine
raises, the state may hold a partly handled fact: it is deleted, and the next evaluation starts
a fresh one.

We drive durable-rules' C core (`durable_rules_engine`) with the same calls its Python `Host`
makes — create_ruleset, assert_fact, start_action_for_state, complete_and_start_action,
retract_fact, delete_state — but without the Host: its timer threads crash on deleted states, and
its per-action machinery (a closure, a JSON copy of the state in and out) cost about 50 µs per
fired rule, while our actions only record which rule fired and never change the state.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from importlib.metadata import version
from typing import Any

import durable_rules_engine as core

from kb.compiler import CATCH_ALL, CompiledRules

ENGINE_NAME = "durable-rules"
_LOCK = threading.Lock()  # one lock for the whole process: the C extension's state is global
_FACT_IDS = itertools.count(1)  # `next` on a count is atomic
STATE = "1"  # the id of each ruleset's standing state (decimal: never read as an exponent)


class EngineError(RuntimeError):
    """The engine failed on an evaluation; its state was cleaned all the same."""


class Engine:
    """Evaluates facts against one compiled ruleset; safe to share between threads."""

    def __init__(self, compiled: CompiledRules, warm_up: Mapping[str, Any]) -> None:
        self.ruleset = compiled.name
        self.actions = frozenset(compiled.actions)
        self.evaluations = 0
        self.cleaned = 0  # evaluations after which no fact was left in any state
        self.resets = 0  # evaluations after which the states were deleted (the engine had failed)
        self._handles: list[int] = []
        with _LOCK:
            for part in compiled.parts:
                definition = copy.deepcopy(dict(part.definition))
                for rule in definition.values():
                    rule.pop("run", None)  # actions are ours, recorded by name; the engine needs none
                text = json.dumps(definition, ensure_ascii=False)
                self._handles.append(core.create_ruleset(part.name, text))
        # The very first state of a process must see an action run before it is ever deleted.
        self.fired(warm_up)

    def fired(self, message: Mapping[str, Any]) -> frozenset[str]:
        """The names of the rules that the message satisfies (the catch-all left out)."""
        # A fresh decimal fact id: the engine refuses a fact it has seen in a state, and a hex id
        # could read as a number with an exponent, which sends the message down the slow path.
        try:
            body = engine_json({**message, "sid": STATE, "id": str(next(_FACT_IDS))})
        except ValueError as error:
            raise EngineError(f"facts the engine cannot take: {error}") from None
        fired: set[str] = set()
        with _LOCK:
            self.evaluations += 1
            asserted: list[int] = []
            try:
                for handle in self._handles:
                    asserted.append(handle)
                    fired |= _fire(handle, body)
            except EngineError:
                self._reset()
                raise
            self._retract(asserted, body)
        unknown = fired - self.actions
        if unknown or CATCH_ALL not in fired:
            raise EngineError(f"unexpected engine result: {sorted(unknown) or 'no catch-all'}")
        return frozenset(fired - {CATCH_ALL})

    def _retract(self, handles: list[int], body: str) -> None:
        try:
            for handle in handles:
                core.retract_fact(handle, body)
        except core.error as error:
            self._reset()
            raise EngineError(f"the rules engine could not retract a fact: {error}") from None
        self.cleaned += 1

    def _reset(self) -> None:
        """Delete the standing state of every ruleset; the next evaluation creates them anew."""
        failure = None
        for handle in self._handles:
            try:
                core.delete_state(handle, STATE)
            except core.error as error:
                if "error code: 309" not in str(error):  # 309: the engine never created this state
                    failure = failure or error
        self.resets += 1
        self.cleaned += 1
        if failure is not None:
            raise EngineError(f"the rules engine could not delete a state: {failure}") from None


def _fire(handle: int, body: str) -> set[str]:
    """Assert the message into one ruleset and run its actions: the names of the rules that fired."""
    fired: set[str] = set()
    try:
        _, state = core.assert_fact(handle, body)
        action = core.start_action_for_state(handle, state)
        pending = action[1] if action else None
        while pending:
            # an action message is {"<rule name>": {...}}; our rule names need no escaping
            fired.add(pending[2 : pending.index('"', 2)])
            pending = core.complete_and_start_action(handle, state)
    except core.error as error:  # the engine's own errors carry numeric codes only
        raise EngineError(f"the rules engine failed: {error}") from None
    return fired


def _exponent(value: Any) -> bool:
    """Whether Python writes this value with an exponent (a float below 0.0001 or past 1e16)."""
    return type(value) is float and "e" in repr(value)


def engine_json(fields: Mapping[str, Any]) -> str:
    """A flat message as JSON the engine's parser reads.

    The engine refuses Infinity but takes NaN silently: neither may reach it (ValueError). Its
    parser also refuses numbers written with an exponent (`1e-05`, error 204), which Python writes
    for valid values below 0.0001: floats are written in positional notation instead, which the
    engine reads back as the same number.
    """
    if not any(_exponent(value) for value in fields.values()):
        return json.dumps(fields, ensure_ascii=False, allow_nan=False)  # the usual case, one C call
    json.dumps(fields, allow_nan=False)  # refuses NaN and Infinity as the usual case does
    parts = []
    for key, value in fields.items():
        text = json.dumps(value, ensure_ascii=False)
        if isinstance(value, float) and "e" in text:
            text = format(Decimal(text), "f")
        parts.append(f"{json.dumps(key, ensure_ascii=False)}: {text}")
    return "{" + ", ".join(parts) + "}"


def engine_version() -> str:
    return version("durable-rules")
