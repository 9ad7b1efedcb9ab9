"""/advise under attack: its throughput alone, then beside each hostile load, as a ratio and p99.

One process, one run: starts `overdue-advisor serve` (the shipped defaults: 2 workers) on a free
loopback port, measures /advise with LOAD_THREADS keep-alive clients for SECONDS, then again while
each attack runs:
  - slow_headers: 50 connections sending a header byte a second (reconnecting when cut off);
  - distinct_paths: 8 clients asking /diagrams/path.svg for a different case each time;
  - oversized_errors: 8 clients posting 64 KiB bodies of 9,000 bad harassment_kinds.
Aim: /advise under each attack at >= 0.8 of its rate alone. Traffic stays on 127.0.0.1 and every
loop stops at its deadline.

    .venv/bin/python bench/attack.py [--seconds 10] [--threads 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from common import varied_body

HOST = "127.0.0.1"
CLI = Path(sys.executable).parent / "overdue-advisor"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def advise_load(port: int, seconds: float, threads: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency in ms and the number of failures of /advise."""
    bodies = [json.dumps(varied_body(i)).encode() for i in range(200)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures = [0] * threads
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        i = index
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request(
                    "POST", "/advise", bodies[i % len(bodies)], {"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
            if ok:
                latencies[index].append(time.perf_counter() - started)
            else:
                failures[index] += 1
            i += threads
        connection.close()

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = sorted(t for per in latencies for t in per)
    p99 = every[int(len(every) * 0.99) - 1] * 1000 if every else float("nan")
    return len(every) / seconds, p99, sum(failures)


def slow_headers(port: int, stop: threading.Event, count: int = 50) -> Callable[[], None]:
    def one() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection((HOST, port), timeout=2) as sock:
                    sock.sendall(b"POST /advise HTTP/1.1\r\nHost: x\r\n")
                    while not stop.wait(1.0):
                        sock.sendall(b"a")
            except OSError:
                stop.wait(0.1)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return lambda: [thread.join(timeout=5) for thread in threads] and None


def _repeat(stop: threading.Event, count: int, action: Callable[[int, http.client.HTTPConnection], None],
            port: int) -> Callable[[], None]:
    def one(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        n = index
        while not stop.is_set():
            try:
                action(n, connection)
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
            n += count
        connection.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return lambda: [thread.join(timeout=10) for thread in threads] and None


def distinct_paths(port: int, stop: threading.Event, count: int = 8) -> Callable[[], None]:
    def ask(n: int, connection: http.client.HTTPConnection) -> None:
        case = varied_body(n)
        case["days_overdue"] = n % 36500
        case["harassment_kinds"] = ",".join(case["harassment_kinds"])
        query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in case.items() if v is not None}
        connection.request("GET", "/diagrams/path.svg?" + urlencode(query))
        connection.getresponse().read()

    return _repeat(stop, count, ask, port)


def oversized_errors(port: int, stop: threading.Event, count: int = 8) -> Callable[[], None]:
    body = json.dumps(
        {**varied_body(0), "harassment": True, "harassment_kinds": [f"bad{i}" for i in range(9000)]}
    ).encode()[: 64 * 1024 - 2]
    body = body[: body.rindex(b",")] + b"]}"

    def post(_: int, connection: http.client.HTTPConnection) -> None:
        connection.request("POST", "/advise", body, {"Content-Type": "application/json"})
        connection.getresponse().read()

    return _repeat(stop, count, post, port)


ATTACKS = {
    "slow_headers": slow_headers,
    "distinct_paths": distinct_paths,
    "oversized_errors": oversized_errors,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    try:
        advise_load(port, 2, args.threads)  # warm every worker
        alone, alone_p99, alone_failed = advise_load(port, args.seconds, args.threads)
        print(f"cores: {os.cpu_count()}; /advise with {args.threads} clients for {args.seconds:g} s")
        print(f"{'alone':<18} {alone:8.0f} req/s  p99 {alone_p99:7.1f} ms  failed {alone_failed}")
        ratios = []
        for name, attack in ATTACKS.items():
            stop = threading.Event()
            join = attack(port, stop)
            time.sleep(1.5)  # the attack is under way
            rate, p99, failed = advise_load(port, args.seconds, args.threads)
            stop.set()
            join()
            ratio = rate / alone if alone else 0.0
            ratios.append(ratio)
            verdict = "ok" if ratio >= 0.8 and not failed else "BELOW AIM"
            print(
                f"{name:<18} {rate:8.0f} req/s  p99 {p99:7.1f} ms  failed {failed}  "
                f"ratio {ratio:4.2f}  {verdict}"
            )
            time.sleep(1)
        print(f"worst ratio {min(ratios):.2f} (aim >= 0.8); median {statistics.median(ratios):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
