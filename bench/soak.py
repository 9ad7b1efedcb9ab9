"""Soak: 100,000 sequential evaluations in one process, then 10,000 requests from 16 threads
against the real gunicorn server; every answer checked, memory reported.

Run: .venv/bin/python bench/soak.py [--evaluations N] [--requests N]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))

from common import rss_mb, varied_body, varied_requests

from kb.advisor import Advisor
from kb.facts import AdviceRequest


def sequential(advisor: Advisor, count: int) -> None:
    batch = varied_requests(1000)
    expected = [advisor.advise(r).model_dump_json() for r in batch]
    checkpoints = {count // 10 * k for k in range(1, 11)}
    start_rss, start = rss_mb(), time.perf_counter()
    wrong = 0
    for i in range(count):
        if advisor.advise(batch[i % 1000]).model_dump_json() != expected[i % 1000]:
            wrong += 1
        if i + 1 in checkpoints:
            print(f"  {i + 1:>7} evaluations: RSS {rss_mb():.1f} MB")
    seconds = time.perf_counter() - start
    print(
        f"sequential: {count} evaluations in {seconds:.1f} s, {wrong} wrong, "
        f"RSS {start_rss:.1f} → {rss_mb():.1f} MB"
    )


def workers_rss(server: subprocess.Popen[bytes]) -> list[float]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [round(rss_mb(pid), 1) for pid in children]


def concurrent(advisor: Advisor, count: int, threads: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).parent / "overdue-advisor"
    server = subprocess.Popen(
        [str(cli), "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.RequestException:  # not listening yet, or workers still loading
                time.sleep(0.1)
        bodies = [varied_body(i) for i in range(1000)]
        expected = [
            advisor.advise(AdviceRequest.model_validate_json(json.dumps(b))).model_dump_json() for b in bodies
        ]
        sessions: dict[int, requests.Session] = {}

        def call(i: int) -> bool:
            import threading

            session = sessions.setdefault(threading.get_ident(), requests.Session())
            response = session.post(f"{base}/advise", json=bodies[i % 1000], timeout=30)
            return response.status_code == 200 and response.text == expected[i % 1000]

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(call, range(200)))  # warm-up
            before = workers_rss(server)
            start = time.perf_counter()
            results = list(pool.map(call, range(count)))
            seconds = time.perf_counter() - start
        after = workers_rss(server)
        print(
            f"concurrent: {count} requests from {threads} threads in {seconds:.1f} s "
            f"({count / seconds:.0f} req/s), {results.count(True)} correct, {results.count(False)} wrong; "
            f"worker RSS {before} → {after} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    advisor = Advisor.from_folder()
    sequential(advisor, args.evaluations)
    concurrent(advisor, args.requests, args.threads)


if __name__ == "__main__":
    main()
