"""Read rules/*.yaml into a RuleBook, or refuse them with `file:line: reason` for every problem.

YAML is read by the safe loader only (`_safe_parse`: yaml.safe_load in its two steps, keeping the
node tree for line numbers). Sources are a mapping of file name to text, so tests can feed rules
from memory and the service from disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.conditions import ConditionError, Test, tests
from kb.letters.templates import template_problem
from kb.model import LANGS, Expectations, Input, RuleBook

ID_SECTIONS = (
    "inputs",
    "derived",
    "questions",
    "advice",
    "laws",
    "contacts",
    "invariants",
    "deadlines",
    "headlines",
    "reassurance",
    "terms",
    "letters",
)
SINGLE_SECTIONS = ("kb", "stages")
RESERVED_KEY = "defined_at"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class RulesError(Exception):
    """The rules cannot be served; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def read_folder(directory: Path) -> dict[str, str]:
    """Every *.yaml file below `directory`, by its path relative to it."""
    if not directory.is_dir():
        raise RulesError([Problem(str(directory), 0, "not a folder of rules")])
    files = sorted(p for p in directory.rglob("*.yaml") if p.is_file())
    if not files:
        raise RulesError([Problem(str(directory), 0, "no *.yaml files in this folder")])
    return {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8") for p in files}


def load_rules(directory: Path) -> RuleBook:
    return load_texts(read_folder(directory), label=directory.name)


def load_texts(texts: Mapping[str, str], label: str = "rules") -> RuleBook:
    """Validate the given files (name → YAML text) into a RuleBook or raise RulesError."""
    loader = _Loader(label)
    for name in sorted(texts):
        loader.read(name, texts[name])
    return loader.finish(_digest(texts))


def _digest(texts: Mapping[str, str]) -> str:
    sha = hashlib.sha256()
    for name in sorted(texts):
        sha.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return sha.hexdigest()


class _Loader:
    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []
        self.roots: dict[str, yaml.Node] = {}
        # where each section (or section entry) was defined: key → file name
        self.owners: dict[tuple[str, ...], str] = {}
        self.merged: dict[str, Any] = {section: {} for section in ID_SECTIONS}

    # ---- reading one file ----

    def read(self, name: str, text: str) -> None:
        try:
            root, data = _safe_parse(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line = mark.line + 1 if mark else 1
            reason = getattr(error, "problem", None) or str(error)
            self.problems.append(Problem(name, line, f"not valid YAML: {reason}"))
            return
        if root is None:
            return
        self.roots[name] = root
        self.problems.extend(_duplicate_keys(name, root))
        if not isinstance(data, dict):
            self.problems.append(Problem(name, 1, "a rules file is a mapping of sections"))
            return
        for section, body in data.items():
            where = self.line(name, (section,))
            if section in SINGLE_SECTIONS:
                self._claim(name, (section,), where)
                self.merged[section] = self._located(name, (section,), body)
            elif section in ID_SECTIONS:
                self._read_entries(name, section, body, where)
            else:
                allowed = ", ".join(SINGLE_SECTIONS + ID_SECTIONS)
                self.problems.append(
                    Problem(name, where, f"unknown section '{section}' (allowed: {allowed})")
                )

    def _read_entries(self, name: str, section: str, body: Any, where: int) -> None:
        if not isinstance(body, dict):
            self.problems.append(Problem(name, where, f"'{section}' is a mapping of ids"))
            return
        for entry_id, entry in body.items():
            key = (section, str(entry_id))
            if self._claim(name, key, self.line(name, key)):
                self.merged[section][entry_id] = self._located(name, key, entry)

    def _claim(self, name: str, key: tuple[str, ...], line: int) -> bool:
        if key in self.owners:
            first = self.owners[key]
            what = f"id '{key[1]}' in '{key[0]}'" if len(key) > 1 else f"section '{key[0]}'"
            self.problems.append(
                Problem(name, line, f"duplicate {what} (first at {first}:{self.line(first, key)})")
            )
            return False
        self.owners[key] = name
        return True

    def _located(self, name: str, key: tuple[str, ...], body: Any) -> Any:
        """A copy of an entity's mapping with `defined_at`; bands and branches get theirs too."""
        if not isinstance(body, dict):
            return body
        if RESERVED_KEY in body:
            self.problems.append(
                Problem(name, self.line(name, (*key, RESERVED_KEY)), f"'{RESERVED_KEY}' is reserved")
            )
        located = dict(body)
        if len(key) > 1:
            located[RESERVED_KEY] = {"file": name, "line": self.line(name, key)}
        if isinstance(located.get("ahead"), dict):
            where = (*key, "ahead")
            source = {"file": name, "line": self.line(name, where)}
            located["ahead"] = {**located["ahead"], RESERVED_KEY: source}
        for child in ("bands", "branches"):
            if isinstance(located.get(child), dict):
                located[child] = {
                    child_id: self._located(name, (*key, child, child_id), child_body)
                    for child_id, child_body in located[child].items()
                }
        return located

    def line(self, name: str, path: tuple[Any, ...]) -> int:
        """The line of the deepest node along `path` in file `name` (1-based)."""
        node = self.roots.get(name)
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node, line = child
        return line

    # ---- the whole folder ----

    def finish(self, digest: str) -> RuleBook:
        for section in SINGLE_SECTIONS:
            if section not in self.merged:
                self.problems.append(Problem(self.label, 0, f"no '{section}' section in any file"))
        if self.problems:
            raise RulesError(self.problems)
        try:
            book = RuleBook.model_validate({**self.merged, "digest": digest})
        except ValidationError as error:
            raise RulesError([self._problem_of(e) for e in error.errors()]) from None
        self.problems.extend(_semantic_problems(book, self))
        if self.problems:
            raise RulesError(self.problems)
        return book

    def locate(self, loc: tuple[Any, ...]) -> tuple[str, int]:
        """File and line of a path into the merged rules."""
        for size in (2, 1):
            name = self.owners.get(tuple(str(step) for step in loc[:size]))
            if name is not None:
                return name, self.line(name, loc)
        return self.label, 0

    def _problem_of(self, error: Any) -> Problem:
        loc = tuple(step for step in error["loc"] if step != "[key]")
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ConditionError):
            loc, reason = (*loc, *cause.path), cause.reason
        elif error["type"] == "missing":
            loc, reason = loc, f"missing key '{loc[-1]}'"
            loc = loc[:-1]
        elif error["type"] == "extra_forbidden":
            reason = f"unknown key '{loc[-1]}'"
        else:
            reason = error["msg"].removeprefix("Value error, ")
        name, line = self.locate(loc)
        field = ".".join(str(step) for step in loc[2:] if not isinstance(step, int))
        return Problem(name, line, f"{field}: {reason}" if field else reason)


# libyaml's build of the same safe loader when present (about 10x faster), else the pure-Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_parse(text: str) -> tuple[yaml.Node | None, Any]:
    """What yaml.safe_load does (compose the node tree, then construct plain data with the safe
    constructor), split in two so the node tree with its line numbers is kept."""
    loader = _SAFE_LOADER(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def _child(node: yaml.Node, step: Any) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(step):
                return value, key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item = node.value[step]
        return item, item.start_mark.line + 1
    return None


def _duplicate_keys(name: str, node: yaml.Node) -> Iterator[Problem]:
    """PyYAML keeps the last of two equal keys silently; a lawyer's edit must not vanish."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                yield Problem(name, line, f"duplicate key '{key.value}' (first at line {seen[key.value]})")
            else:
                seen[key.value] = line
            yield from _duplicate_keys(name, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(name, item)


# ---- checks across the whole model ----


def _semantic_problems(book: RuleBook, loader: _Loader) -> Iterator[Problem]:
    def at(*loc: Any, reason: str) -> Problem:
        name, line = loader.locate(loc)
        return Problem(name, line, reason)

    yield from _stage_problems(book, at)
    question_ids = set(book.questions)
    seen_rules: dict[str, str] = {}
    for qid, question in book.questions.items():
        yield from _condition_problems(book, question.ask_if, ("questions", qid, "ask_if"), at)
        for rid, rule in question.branches.items():
            where = ("questions", qid, "branches", rid)
            if rid in seen_rules or rid in question_ids:
                other = seen_rules.get(rid, rid)
                yield at(
                    *where,
                    reason=f"duplicate id '{rid}': rule and question ids are one namespace (also '{other}')",
                )
            seen_rules[rid] = qid
            yield from _condition_problems(book, rule.when, (*where, "when"), at)
            for i, advice_id in enumerate(rule.advice):
                if advice_id not in book.advice:
                    yield at(*where, "advice", i, reason=f"advice '{advice_id}' is not defined")
            for i, contact_id in enumerate(rule.contacts):
                if contact_id not in book.contacts:
                    yield at(*where, "contacts", i, reason=f"contact '{contact_id}' is not defined")
            for section, refs in (("deadlines", rule.deadlines), ("reassurance", rule.reassurance)):
                catalog = getattr(book, section)
                for i, ref in enumerate(refs):
                    if ref not in catalog:
                        yield at(*where, section, i, reason=f"{section} entry '{ref}' is not defined")
            for i, advice_id in enumerate(rule.first_steps):
                if advice_id in book.advice and book.advice[advice_id].kind != "action":
                    yield at(*where, "first_steps", i, reason=f"first step '{advice_id}' is not an action")
            if rule.headline is not None and rule.headline not in book.headlines:
                yield at(*where, "headline", reason=f"headline '{rule.headline}' is not defined")
    for name, spec in book.derived.items():
        source = book.inputs.get(spec.as_of_minus)
        if name in book.inputs or name == "stage":
            yield at("derived", name, reason=f"'{name}' is already an input")
        if source is None or source.type != "integer" or source.nullable:
            reason = f"'{spec.as_of_minus}' is not an integer input that is always known"
            yield at("derived", name, reason=reason)
    ahead = book.stages.ahead
    if ahead is not None:
        source = book.inputs.get(ahead.of)
        if source is None or not source.nullable:
            yield at("stages", "ahead", reason=f"'{ahead.of}' is not a nullable input")
        if ahead.stage in book.stages.bands:
            yield at("stages", "ahead", reason=f"stage '{ahead.stage}' is also a band")
    for did, deadline in book.deadlines.items():
        if not deadline.legal_basis and not deadline.practice:
            yield at("deadlines", did, reason="cite a law in 'legal_basis' or mark it 'practice: true'")
        for i, law_id in enumerate(deadline.legal_basis):
            if law_id not in book.laws:
                yield at("deadlines", did, "legal_basis", i, reason=f"law '{law_id}' is not in the catalog")
    for aid, advice in book.advice.items():
        yield from _condition_problems(book, advice.needs, ("advice", aid, "needs"), at)
        if not advice.legal_basis and not advice.practice:
            yield at("advice", aid, reason="cite a law in 'legal_basis' or mark it 'practice: true'")
        for i, law_id in enumerate(advice.legal_basis):
            if law_id not in book.laws:
                yield at("advice", aid, "legal_basis", i, reason=f"law '{law_id}' is not in the catalog")
        for i, other in enumerate(advice.conflicts_with):
            if other not in book.advice or other == aid:
                what = "itself" if other == aid else f"advice '{other}', which is not defined"
                yield at("advice", aid, "conflicts_with", i, reason=f"conflicts with {what}")
    for kind, letter in book.letters.items():
        yield from _condition_problems(book, letter.when, ("letters", kind, "when"), at)
        if not letter.legal_basis:
            yield at("letters", kind, reason="a letter cites its legal basis in 'legal_basis'")
        for i, law_id in enumerate(letter.legal_basis):
            if law_id not in book.laws:
                yield at("letters", kind, "legal_basis", i, reason=f"law '{law_id}' is not in the catalog")
        for lang in LANGS:
            reason = template_problem(letter, lang)
            if reason:
                yield at("letters", kind, "body", lang, reason=reason)
    for iid, invariant in book.invariants.items():
        yield from _condition_problems(book, invariant.given, ("invariants", iid, "if"), at)
        yield from _expectation_problems(book, iid, invariant.then, at)


def _expectation_problems(book: RuleBook, iid: str, then: Expectations, at: Any) -> Iterator[Problem]:
    """Every id an invariant names exists and is of the kind its check speaks of."""
    kinds = {
        "actions_include": "action",
        "actions_exclude": "action",
        "avoid_include": "avoid",
        "avoid_exclude": "avoid",
        "first_action": "action",
    }
    for check, kind in kinds.items():
        value = getattr(then, check)
        single = isinstance(value, str)
        for i, advice_id in enumerate((value,) if single else value or ()):
            where = (check,) if single else (check, i)
            advice = book.advice.get(advice_id)
            if advice is None:
                yield at("invariants", iid, "then", *where, reason=f"advice '{advice_id}' is not defined")
            elif advice.kind != kind:
                reason = f"'{advice_id}' is an '{advice.kind}' item; '{check}' takes '{kind}' items"
                yield at("invariants", iid, "then", *where, reason=reason)
    for check, catalog, what in (
        ("contacts_include", book.contacts, "contact"),
        ("contacts_include_any", book.contacts, "contact"),
        ("contacts_exclude", book.contacts, "contact"),
        ("cites_include", book.laws, "law"),
        ("cites_exclude", book.laws, "law"),
    ):
        for i, ref in enumerate(getattr(then, check)):
            if ref not in catalog:
                yield at("invariants", iid, "then", check, i, reason=f"{what} '{ref}' is not defined")
    if then.first_contact and then.first_contact not in book.contacts:
        reason = f"contact '{then.first_contact}' is not defined"
        yield at("invariants", iid, "then", "first_contact", reason=reason)


def _stage_problems(book: RuleBook, at: Any) -> Iterator[Problem]:
    source = book.inputs.get(book.stages.of)
    if source is None or source.type != "integer":
        yield at("stages", "of", reason=f"'{book.stages.of}' is not an integer input")
        return
    expected = int(source.min or 0)
    for band_id, band in sorted(book.stages.bands.items(), key=lambda item: item[1].min):
        where = ("stages", "bands", band_id)
        if band.min > band.max:
            yield at(*where, reason=f"band '{band_id}' has min {band.min} above max {band.max}")
        if band.min > expected:
            yield at(*where, reason=f"gap: {expected}–{band.min - 1} is in no band")
        elif band.min < expected:
            yield at(*where, reason=f"overlap: band '{band_id}' starts at {band.min}, inside an earlier band")
        if band.max > int(source.max or 0):
            yield at(
                *where, reason=f"band '{band_id}' ends at {band.max}, above the input's max {source.max}"
            )
        expected = max(expected, band.max + 1)
    if expected <= int(source.max or 0):
        yield at("stages", "bands", reason=f"gap: {expected}–{int(source.max or 0)} is in no band")


def _condition_problems(book: RuleBook, condition: Any, where: tuple[Any, ...], at: Any) -> Iterator[Problem]:
    for test in tests(condition):
        reason = _test_problem(book, test)
        if reason:
            yield at(*where, *test.path, reason=reason)


def _test_problem(book: RuleBook, test: Test) -> str | None:
    if test.fact == "stage":
        if test.op != "in":
            return "'stage' takes only 'in'"
        stages = book.stages.ids()
        unknown = [v for v in test.value if v not in stages]
        return f"unknown stage {unknown} (stages: {', '.join(stages)})" if unknown else None
    if test.fact in book.derived:
        if test.op not in ("min", "max", "above", "below"):
            return f"'{test.op}' does not apply to the date '{test.fact}' (use min, max, above, below)"
        if not isinstance(test.value, date):
            return f"'{test.fact}' is a date: compare it with a date (YYYY-MM-DD)"
        return None
    spec: Input | None = book.inputs.get(test.fact)
    if spec is None:
        facts = ", ".join([*book.inputs, *book.derived])
        return f"unknown fact '{test.fact}' (inputs: {facts}, or stage)"
    if isinstance(test.value, date):
        return f"'{test.fact}' is not a date"
    allowed = {
        "integer": ("min", "max", "above", "below"),
        "number": ("min", "max", "above", "below"),
        "boolean": ("is",),
        "enum": ("in",),
        "set": ("contains", "empty"),
    }[spec.type] + (("known",) if spec.nullable else ())
    if test.op not in allowed:
        return f"'{test.op}' does not apply to {spec.type} '{test.fact}' (use {', '.join(allowed)})"
    if test.op == "is" and test.value is None and not spec.nullable:
        return f"'{test.fact}' is never null"
    values = spec.values or {}
    wanted = test.value if test.op == "in" else (test.value,) if test.op == "contains" else ()
    unknown = [v for v in wanted if v not in values]
    if unknown:
        return f"{unknown} not among the values of '{test.fact}' ({', '.join(values)})"
    return None
