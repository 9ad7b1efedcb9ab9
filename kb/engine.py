"""The durable-rules host: rulesets registered once, one fresh state per evaluation.

The engine has no locking of its own and fails hard past its limits (durable-rules-notes.md), so:
its timer threads are switched off, every evaluation runs under one process-wide lock with a new
random sid, and the state is deleted in `finally`, also when the engine raised.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import Any

from durable import engine as durable

from kb.compiler import CATCH_ALL, CompiledRules

ENGINE_NAME = "durable-rules"
_LOCK = threading.Lock()  # one lock for every host in the process: the C extension is shared


class EngineError(RuntimeError):
    """The engine failed on an evaluation; the state was deleted all the same."""


class _Host(durable.Host):
    """A durable-rules Host without its background timer threads (they crash on deleted states)."""

    def __init__(self, actions: Mapping[str, Callable[[Any], None]]) -> None:
        self._named_actions = actions
        super().__init__()

    def _run(self) -> None:
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._named_actions[action_name]


class Engine:
    """Evaluates facts against one compiled ruleset; safe to share between threads."""

    def __init__(self, compiled: CompiledRules, warm_up: Mapping[str, Any]) -> None:
        self.ruleset = compiled.name
        self._fired: list[str] = []
        self.evaluations = 0
        self.deleted_states = 0
        actions = {name: self._recorder(name) for name in compiled.actions}
        self._host = _Host(actions)
        with _LOCK:
            # register_rulesets removes "run" from what it is given
            self._host.register_rulesets(copy.deepcopy({compiled.name: dict(compiled.definition)}))
        # The very first state of a process must see an action run before it is deleted.
        self.fired(warm_up)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(c: Any) -> None:
            self._fired.append(name)

        return record

    def fired(self, message: Mapping[str, Any]) -> frozenset[str]:
        """The names of the rules that the message satisfies (the catch-all left out)."""
        sid = secrets.token_hex(16)
        with _LOCK:
            self._fired = []
            self.evaluations += 1
            try:
                state = self._host.assert_fact(self.ruleset, {**message, "sid": sid, "id": "facts"})
            except Exception as error:  # the engine's own errors carry numeric codes only
                raise EngineError(f"the rules engine refused the facts: {error}") from None
            finally:
                self._host.delete_state(self.ruleset, sid)
                self.deleted_states += 1
            fired = self._fired
            self._fired = []
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed: {state['exception']}")
        if CATCH_ALL not in fired:
            raise EngineError("the catch-all rule did not fire")
        return frozenset(fired) - {CATCH_ALL}


def engine_version() -> str:
    return version("durable-rules")
