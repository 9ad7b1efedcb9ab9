"""Benchmark: start-up, engine time per evaluation, /advise throughput against a trivial endpoint.

Run: .venv/bin/python bench/bench.py [--rules DIR]
Aims (issue 2): start-up < 300 ms, engine median < 100 µs, /advise >= 0.5 × the trivial endpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import timed, varied_body, varied_requests

from kb.advisor import Advisor, load_checked, rules_dir
from kb.compiler import compile_rules, message
from kb.engine import Engine
from kb.facts import EARLIEST
from webapi import create_app


def rate(action: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        action()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules")
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    folder = rules_dir(args.rules)

    load = timed(lambda: load_checked(folder), 5)
    book = load_checked(folder)
    compile_time = timed(lambda: compile_rules(book), 5)
    compiled = compile_rules(book)
    register = timed(lambda: Engine(compiled, warm_up=message(book, {}, EARLIEST)), 3)
    print(f"rules: {folder} ({len(book.rules)} rules, {len(book.advice)} advice items)")
    print(
        f"start-up: {1000 * (load + compile_time + register):.1f} ms "
        f"(load+validate {1000 * load:.1f} ms, compile {1000 * compile_time:.1f} ms, "
        f"register+warm-up {1000 * register:.1f} ms)"
    )

    advisor = Advisor(book)
    requests = varied_requests(500)
    messages = [message(book, r.facts(), r.day()) for r in requests]
    samples = []
    for i in range(args.evaluations):
        msg = messages[i % len(messages)]
        start = time.perf_counter_ns()
        advisor.engine.fired(msg)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    median = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    print(
        f"engine per evaluation over {args.evaluations} varied inputs: "
        f"median {median:.1f} µs, p99 {p99:.1f} µs"
    )
    whole = timed(lambda: [advisor.advise(r) for r in requests[:100]], 5) / 100
    print(f"advise() per call (engine + answer assembly): {1e6 * whole:.1f} µs")

    client = create_app(advisor=advisor).test_client()
    bodies = [json.dumps(varied_body(i)) for i in range(100)]
    counter = iter(range(10**9))

    def advise_once() -> None:
        response = client.post("/advise", data=bodies[next(counter) % 100], content_type="application/json")
        assert response.status_code == 200

    def trivial_once() -> None:
        assert client.get("/healthz").status_code == 200

    advise_rate = rate(advise_once, args.seconds)
    trivial_rate = rate(trivial_once, args.seconds)
    print(
        f"WSGI app: /advise {advise_rate:.0f} req/s, /healthz {trivial_rate:.0f} req/s, "
        f"ratio {advise_rate / trivial_rate:.2f}"
    )


if __name__ == "__main__":
    main()
