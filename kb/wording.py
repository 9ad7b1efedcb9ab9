"""Conditions in plain words, in either language, for traces and diagrams."""

from __future__ import annotations

from typing import Any

from kb.conditions import AnyOf, Condition, Not, Test
from kb.model import InForce, Lang, RuleBook

_WORDS = {
    "zh": {
        "always": "所有情况",
        "and": "，且",
        "any": "以下任一：",
        "or": "；或",
        "not": "并非（{}）",
        "yes": "是",
        "no": "否",
        "unknown": "不清楚",
        "in": "{label}：{values}",
        "one_of_sep": "或",
        "is": "{label}：{value}",
        "between": "{label}在 {low} 到 {high} 之间",
        "min": "{label}不少于 {value}",
        "max": "{label}不超过 {value}",
        "above": "{label}高于 {value}",
        "below": "{label}低于 {value}",
        "contains": "{label}包括“{value}”",
        "empty": "没有{label}",
        "not_empty": "有{label}",
        "known": "{label}已知",
        "not_known": "{label}不清楚",
        "from": "自 {} 起",
        "until": "至 {} 止",
        "dates_sep": "，",
        "stage": "逾期阶段",
    },
    "en": {
        "always": "always",
        "and": " and ",
        "any": "any of: ",
        "or": "; or ",
        "not": "not ({})",
        "yes": "yes",
        "no": "no",
        "unknown": "not known",
        "in": "{label}: {values}",
        "one_of_sep": " or ",
        "is": "{label}: {value}",
        "between": "{label} between {low} and {high}",
        "min": "{label} at least {value}",
        "max": "{label} at most {value}",
        "above": "{label} above {value}",
        "below": "{label} below {value}",
        "contains": "{label} include “{value}”",
        "empty": "no {label}",
        "not_empty": "some {label}",
        "known": "{label} known",
        "not_known": "{label} not known",
        "from": "from {}",
        "until": "until {}",
        "dates_sep": ", ",
        "stage": "stage",
    },
}


def describe(book: RuleBook, condition: Condition, lang: Lang) -> str:
    words = _WORDS[lang]
    if isinstance(condition, Test):
        return _test(book, condition, lang)
    if isinstance(condition, Not):
        return words["not"].format(describe(book, condition.part, lang))
    if not condition.parts:
        return words["always"]
    if isinstance(condition, AnyOf):
        return words["any"] + words["or"].join(describe(book, p, lang) for p in condition.parts)
    return words["and"].join(_conjuncts(book, condition.parts, lang))


def describe_dates(in_force: InForce, lang: Lang) -> str:
    words = _WORDS[lang]
    parts = []
    if in_force.start:
        parts.append(words["from"].format(in_force.start.isoformat()))
    if in_force.until:
        parts.append(words["until"].format(in_force.until.isoformat()))
    return words["dates_sep"].join(parts)


def _conjuncts(book: RuleBook, parts: tuple[Condition, ...], lang: Lang) -> list[str]:
    """Each part in words, with a lower and upper bound on one number joined as 'between'."""
    words = _WORDS[lang]
    out: list[str] = []
    skip: set[int] = set()
    for i, part in enumerate(parts):
        if i in skip:
            continue
        if isinstance(part, Test) and part.op == "min":
            partner = next(
                (
                    j
                    for j, other in enumerate(parts)
                    if isinstance(other, Test) and other.fact == part.fact and other.op == "max"
                ),
                None,
            )
            if partner is not None:
                skip.add(partner)
                high = parts[partner]
                assert isinstance(high, Test)
                out.append(
                    words["between"].format(
                        label=_label(book, part.fact, lang), low=_number(part.value), high=_number(high.value)
                    )
                )
                continue
        out.append(describe(book, part, lang))
    return out


def _test(book: RuleBook, test: Test, lang: Lang) -> str:
    words = _WORDS[lang]
    label = _label(book, test.fact, lang)
    if test.op == "in":
        names = [value_label(book, test.fact, v, lang) for v in test.value]
        if test.fact != "stage":  # an enum's value labels are whole phrases ("no hardship")
            return words["one_of_sep"].join(names)
        return words["in"].format(label=label, values=words["one_of_sep"].join(names))
    if test.op == "is":
        value = words["unknown"] if test.value is None else words["yes" if test.value else "no"]
        return words["is"].format(label=label, value=value)
    if test.op == "contains":
        return words["contains"].format(label=label, value=value_label(book, test.fact, test.value, lang))
    if test.op == "empty":
        return words["empty" if test.value else "not_empty"].format(label=label)
    if test.op == "known":
        return words["known" if test.value else "not_known"].format(label=label)
    return words[test.op].format(label=label, value=_number(test.value))


def _label(book: RuleBook, fact: str, lang: Lang) -> str:
    if fact == "stage":
        return _WORDS[lang]["stage"]
    if fact in book.derived:
        return book.derived[fact].label(lang)
    return book.inputs[fact].label(lang)


def value_label(book: RuleBook, fact: str, value: Any, lang: Lang) -> str:
    if fact == "stage":
        return book.stages.words(value).label(lang)
    if fact in book.derived:
        return str(value)
    values = book.inputs[fact].values or {}
    return values[value](lang) if value in values else str(value)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
