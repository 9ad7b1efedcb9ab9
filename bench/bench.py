"""Benchmark (issue 7): the engine beside a peer and a floor, answers in-process, the served app,
start-up, and a generated rule book of 1,000 rules. Every figure is printed with its ratio.

Run: .venv/bin/pip install -q '.[bench]' && .venv/bin/python bench/bench.py [--rules DIR]

Aims: engine median <= 50 µs and <= 0.5 x zen-engine's per-call time on the same slice; full
answers >= 25 % and brief answers >= 50 % of the validation-plus-facts floor; /advise >= 0.8 of
/healthz over the server; create_app() <= 300 ms; 1,000 rules <= 3 x the shipped engine time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from common import varied_requests
from synthetic import write_rules

from kb.advisor import Advisor, load_checked, rules_dir
from kb.compiler import compile_rules, message
from kb.conditions import All, AnyOf, Condition, Not, Test
from kb.engine import Engine
from kb.facts import EARLIEST, AdviceRequest
from kb.model import RuleBook
from kb.reference import fired_rules

SLICE = ("stage", "harassment", "hardship", "credit_report")  # 13 rules, no dates


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def per_call_us(call: Callable[[Any], object], inputs: Sequence[Any], repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        item = inputs[i % len(inputs)]
        start = time.perf_counter_ns()
        call(item)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def rate(action: Callable[[int], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        action(count)
        count += 1
    return count / (time.perf_counter() - start)


# ---- the slice, three ways ----


def _simple(book: RuleBook, condition: Condition) -> bool:
    """A condition all three evaluators of the slice take: stage bands, enums and booleans, ANDed."""
    parts = condition.parts if isinstance(condition, All) else (condition,)
    return bool(parts) and all(
        isinstance(t, Test)
        and (t.op in ("in", "is"))
        and (t.fact != "stage" or all(v in book.stages.bands for v in t.value))
        and t.fact in ("stage", "harassment", "hardship", "credit_reported")
        for t in parts
    )


def sliced(book: RuleBook) -> RuleBook:
    """The slice's questions asked of everyone, with the branches every evaluator takes."""
    questions = {}
    for qid in SLICE:
        question = book.questions[qid]
        branches = {rid: r for rid, r in question.branches.items() if _simple(book, r.when)}
        questions[qid] = question.model_copy(update={"branches": branches, "ask_if": All(())})
    update = {"questions": questions, "letters": {}, "digest": "slice" + book.digest[5:]}
    return book.model_copy(update=update)


def closure(book: RuleBook, condition: Condition) -> Callable[[dict[str, Any]], bool]:
    """A condition as nested Python closures: the floor of what evaluating the slice can cost."""
    if isinstance(condition, Test):
        if condition.fact == "stage":
            bands = [book.stages.bands[s] for s in condition.value]
            return lambda f: any(b.min <= f["days_overdue"] <= b.max for b in bands)
        name, value = condition.fact, condition.value
        if condition.op == "in":
            allowed = frozenset(value)
            return lambda f: f[name] in allowed
        if condition.op == "is":
            return lambda f: f[name] is value
        raise ValueError(f"not in the slice: {condition}")
    if isinstance(condition, Not):
        inner = closure(book, condition.part)
        return lambda f: not inner(f)
    parts = [closure(book, p) for p in condition.parts]
    if isinstance(condition, AnyOf):
        return lambda f: any(p(f) for p in parts)
    assert isinstance(condition, All)
    return lambda f: all(p(f) for p in parts)


def zen_table(book: RuleBook) -> str:
    """The slice as one zen-engine decision table (hit policy collect), each row a rule."""
    columns = {"days_overdue": "d", "harassment": "h", "hardship": "s", "credit_reported": "c"}
    rows = []
    for qid in SLICE:
        for rid, rule in book.questions[qid].branches.items():
            row = {"_id": rid, "rule": json.dumps(rid), **{c: "" for c in columns.values()}}
            parts = rule.when.parts if isinstance(rule.when, All) else (rule.when,)
            for test in parts:
                assert isinstance(test, Test)
                if test.fact == "stage":
                    bands = [book.stages.bands[s] for s in test.value]
                    row["d"] = ", ".join(f"[{band.min}..{band.max}]" for band in bands)
                elif test.op == "is":
                    row[columns[test.fact]] = "true" if test.value else "false"
                else:
                    row[columns[test.fact]] = ", ".join(json.dumps(v) for v in test.value)
            rows.append(row)
    table = {
        "hitPolicy": "collect",
        "inputs": [{"id": c, "name": c, "field": field} for field, c in columns.items()],
        "outputs": [{"id": "rule", "name": "rule", "field": "rule"}],
        "rules": rows,
    }
    node = {"x": 0, "y": 0}
    return json.dumps(
        {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "in", "position": node},
                {"id": "t", "type": "decisionTableNode", "name": "t", "position": node, "content": table},
                {"id": "out", "type": "outputNode", "name": "out", "position": node},
            ],
            "edges": [
                {"id": "a", "sourceId": "in", "targetId": "t", "type": "edge"},
                {"id": "b", "sourceId": "t", "targetId": "out", "type": "edge"},
            ],
        }
    )


def c_calls(engine: Engine, messages: list[dict[str, Any]], repeat: int) -> str:
    """Each C call of an evaluation, timed on its own (the same calls `Engine.fired` makes)."""
    import durable_rules_engine as core

    from kb.engine import STATE, engine_json

    [handle] = engine._handles
    spent = {"json": 0.0, "assert_fact": 0.0, "actions": 0.0, "retract_fact": 0.0}
    for i in range(repeat):
        start = time.perf_counter_ns()
        body = engine_json({**messages[i % len(messages)], "sid": STATE, "id": f"b{i}"})
        asserted = time.perf_counter_ns()
        _, state = core.assert_fact(handle, body)
        acted = time.perf_counter_ns()
        pending = core.start_action_for_state(handle, state)[1]
        while pending:
            pending = core.complete_and_start_action(handle, state)
        retracting = time.perf_counter_ns()
        core.retract_fact(handle, body)
        done = time.perf_counter_ns()
        spent["json"] += asserted - start
        spent["assert_fact"] += acted - asserted
        spent["actions"] += retracting - acted
        spent["retract_fact"] += done - retracting
    return "mean per evaluation: " + ", ".join(f"{k} {v / repeat / 1000:.1f} µs" for k, v in spent.items())


def engine_section(book: RuleBook, requests: list[AdviceRequest], repeat: int) -> float:
    """The engine on the shipped rules and on the slice, beside zen-engine and the floor."""
    advisor_engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
    messages = [message(book, r.facts(), r.day()) for r in requests]
    full = per_call_us(advisor_engine.fired, messages, repeat)
    fired = statistics.mean(len(advisor_engine.fired(m)) for m in messages[:500])
    print(
        f"engine, shipped rules ({len(book.rules)} rules, {fired:.1f} fired on average): "
        f"median {statistics.median(full):.1f} µs, p99 {percentile(full, 0.99):.1f} µs (aim: median <= 50)"
    )
    print("  " + c_calls(advisor_engine, messages, repeat))
    part = sliced(book)
    slice_engine = Engine(compile_rules(part), warm_up=message(part, {}, EARLIEST))
    slice_messages = [message(part, r.facts(), r.day()) for r in requests]
    ours = statistics.median(per_call_us(slice_engine.fired, slice_messages, repeat))
    rules = [
        (rid, closure(part, rule.when))
        for question in part.questions.values()
        for rid, rule in question.branches.items()
    ]
    facts = [r.facts() for r in requests]
    floor = statistics.median(per_call_us(lambda f: [rid for rid, test in rules if test(f)], facts, repeat))
    for fact, message_ in zip(facts[:200], slice_messages[:200], strict=True):
        assert slice_engine.fired(message_) == fired_rules(part, fact, EARLIEST)
    line = f"slice of {len(rules)} rules: durable-rules {ours:.1f} µs, closures floor {floor:.2f} µs"
    try:
        import zen
    except ImportError:
        print(line + "; zen-engine not installed (pip install '.[bench]')")
        return statistics.median(full)
    decision = zen.ZenEngine().create_decision(zen_table(part))
    zen_inputs = [
        {k: f[k] for k in ("days_overdue", "harassment", "hardship", "credit_reported")} for f in facts
    ]
    for given, fact in zip(zen_inputs[:200], facts[:200], strict=True):
        found = {row["rule"] for row in decision.evaluate(given)["result"]}
        assert found == set(fired_rules(part, fact, EARLIEST)), (given, found)
    peer = statistics.median(per_call_us(decision.evaluate, zen_inputs, repeat))
    print(f"{line}, zen-engine evaluate() {peer:.1f} µs: ours / zen = {ours / peer:.2f} (aim <= 0.5)")
    return statistics.median(full)


def answers_section(advisor: Advisor, requests: list[AdviceRequest], seconds: float) -> None:
    bodies = [r.model_dump_json(exclude_none=True).encode() for r in requests]

    def floor(i: int) -> None:
        request = AdviceRequest.model_validate_json(bodies[i % len(bodies)])
        request.facts()
        request.diagram_url()

    floor_rate = rate(floor, seconds)
    print(f"validation + facts + diagram URL floor: {floor_rate:,.0f} per second")
    sizes: dict[tuple[str, str], list[int]] = {}
    for detail in ("full", "brief"):
        for lang in ("zh", "en"):
            variants = [
                AdviceRequest.model_validate_json(
                    r.model_copy(update={"lang": lang, "detail": detail}).model_dump_json(exclude_none=True)
                )
                for r in requests
            ]
            raw = [v.model_dump_json(exclude_none=True).encode() for v in variants]
            sizes[(detail, lang)] = [len(advisor.advise_bytes(v)) for v in variants]

            def answer(i: int, raw: list[bytes] = raw) -> None:
                advisor.advise_bytes(AdviceRequest.model_validate_json(raw[i % len(raw)]))

            answers = rate(answer, seconds)
            aim = 0.25 if detail == "full" else 0.5
            print(
                f"answers in-process, {detail} {lang}: {answers:,.0f} per second, "
                f"{answers / floor_rate:.2f} of the floor (aim >= {aim})"
            )
    for (detail, lang), found in sizes.items():
        print(
            f"answer size, {detail} {lang}: median {statistics.median(found) / 1024:.1f} KB, "
            f"max {max(found) / 1024:.1f} KB" + (" (aim: brief <= 6 KB)" if detail == "brief" else "")
        )
    writer = advisor.writer
    print(f"decision cache: {writer.hits} hits, {writer.misses} misses")


def startup_section(rules: str | None) -> None:
    script = (
        "import time; t = time.perf_counter(); from webapi import create_app; "
        f"create_app({rules!r}); print(time.perf_counter() - t)"
    )
    command = [sys.executable, "-c", script]
    runs = [
        float(subprocess.run(command, capture_output=True, text=True, check=True).stdout) for _ in range(3)
    ]
    median = 1000 * statistics.median(runs)
    print(f"start-up, imports and create_app() in a fresh process: median {median:.0f} ms (aim <= 300)")


def served_section(rules: str | None, seconds: float, threads: int) -> None:
    """/advise and /healthz over the served app (the `serve` command), from client threads."""
    import http.client
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "kb", "serve", "--port", str(port)]
    command += ["--rules", rules] if rules else []
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        bodies = [r.model_dump_json(exclude_none=True) for r in varied_requests(200)]

        def load(method: str, path: str, with_body: bool) -> float:
            done = [0] * threads
            stop = time.time() + seconds

            def client(index: int) -> None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                while time.time() < stop:
                    body = bodies[(index + done[index]) % len(bodies)] if with_body else None
                    headers = {"Content-Type": "application/json"} if with_body else {}
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    assert response.status == 200
                    done[index] += 1
                connection.close()

            workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            return sum(done) / seconds

        load("GET", "/healthz", False)  # warm the workers
        health = load("GET", "/healthz", False)
        advise = load("POST", "/advise", True)
        print(
            f"served app ({threads} client threads): /advise {advise:,.0f} req/s, "
            f"/healthz {health:,.0f} req/s, ratio {advise / health:.2f} (aim >= 0.8)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def scale_section(shipped_median: float, requests: list[AdviceRequest], repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        book = load_checked(write_rules(Path(folder), 1000))
        engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
        messages = [message(book, r.facts(), r.day()) for r in requests]
        samples = per_call_us(engine.fired, messages, repeat)
        fired = statistics.mean(len(engine.fired(m)) for m in messages[:500])
    median = statistics.median(samples)
    print(
        f"engine, generated rule book ({len(book.rules)} rules, {fired:.1f} fired on average): median "
        f"{median:.1f} µs, p99 {percentile(samples, 0.99):.1f} µs, {median / shipped_median:.2f} x the "
        "shipped rules (aim <= 3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules")
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    book = load_checked(rules_dir(args.rules))
    requests = varied_requests(1000)
    assert len({r.model_dump_json() for r in requests}) == 1000, "1,000 distinct requests"
    print(f"rules: {rules_dir(args.rules)} ({book.kb_version}), 1,000 distinct varied requests")
    shipped = engine_section(book, requests, args.evaluations)
    answers_section(Advisor(book), requests, args.seconds)
    startup_section(args.rules)
    served_section(args.rules, args.seconds, args.threads)
    scale_section(shipped, requests, args.evaluations // 4)


if __name__ == "__main__":
    main()
