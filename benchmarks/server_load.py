"""`python -m local_bedrock` under load: many boto3 clients at once, with event streams.

    PYTHONPATH=. .venv/bin/python benchmarks/server_load.py [--clients 64] [--calls 20]
        [--runs 3] [--stream-every 4] [--processes 2] [--burst 256]

Starts `python -m local_bedrock` on a free loopback port in a child process (the command
attendees and test runs use). The clients are split over `--processes` client processes (as
many kernels on one JupyterHub host, or the workers of a parallel test run, would be), each
client a thread with its own boto3 bedrock-runtime client (retries off, so a dropped connection
is counted, not hidden), all released together; each makes `--calls` calls, every
`--stream-every`-th a ConverseStream read to its last event, the others Converse. Per run it
prints calls/s, p50 and p99 latency (each call's wall time as its client saw it; p99 also per
operation), errors by kind, and CPU per call of the server and of the clients. `--processes 1`
puts all clients in one process: its own GIL then caps the clients (~2.5 ms of botocore CPU per
call, ~300 calls/s), whatever the server does.

Baseline, measured in this process: the same calls answered by an `Engine` directly
(`engine.handle`, one at a time, no socket, no botocore), in CPU time: the engine's own work
per call. The server's CPU per call (the child's user+system time over a run / calls) against
it is what the HTTP server adds. Last, a burst of `--burst` new connections opened at once
(each sends GET /_engine/health): a listen backlog too short for it leaves some unanswered.
Targets (issue: the server drops connections under load): 0 errors over 3 x 1,280 calls,
p99 < 500 ms, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_bedrock import Engine, InProcessTransport  # noqa: E402
from local_bedrock.server import free_port  # noqa: E402

MODEL = "amazon.nova-micro-v1:0"
KW = dict(region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, max_pool_connections=2,
                connect_timeout=10, read_timeout=60)


def messages(client: int, call: int) -> list[dict]:
    """A short user turn that differs per call (the engine's answer depends on the text)."""
    text = f"Client {client}, call {call}: give me one tip for operating LLM apps."
    return [{"role": "user", "content": [{"text": text}]}]


def one_call(client, c: int, i: int, stream: bool) -> None:
    args = dict(modelId=MODEL, messages=messages(c, i),
                inferenceConfig={"maxTokens": 64, "temperature": 0})
    if stream:
        events = list(client.converse_stream(**args)["stream"])
        assert "metadata" in events[-1], events[-1]
    else:
        assert client.converse(**args)["output"]["message"]["role"] == "assistant"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_run(url: str, clients: int, calls: int, stream_every: int, first: int = 0,
             barrier=None) -> dict:
    """`clients` threads x `calls` calls against `url`, released together (with the threads of
    other processes when `barrier` is shared); latencies (s) per kind and errors by kind."""
    session = boto3.Session(**KW)
    warm = session.client("bedrock-runtime", endpoint_url=url, config=CONFIG)
    one_call(warm, -1, 0, stream=False)  # botocore loads its models lazily, per session: not
    one_call(warm, -1, 1, stream=True)   # timed (the clients' connections are still all new)
    warm.close()
    pool = [session.client("bedrock-runtime", endpoint_url=url, config=CONFIG)
            for _ in range(clients)]
    latencies: dict[str, list[float]] = {"Converse": [], "ConverseStream": []}
    errors: Counter = Counter()
    lock = threading.Lock()
    local = threading.Barrier(clients + 1)

    def worker(c: int) -> None:
        local.wait()
        for i in range(calls):
            stream = (first + c + i) % stream_every == stream_every - 1
            start = time.perf_counter()
            try:
                one_call(pool[c], first + c, i, stream)
            except Exception as exc:  # counted and reported, never raised
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            with lock:
                latencies["ConverseStream" if stream else "Converse"].append(
                    time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    if barrier is not None:
        barrier.wait()
    cpu0 = cpu_seconds(os.getpid())
    local.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(os.getpid()) - cpu0
    for client in pool:
        client.close()
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "cpu": cpu}


def _client_process(url, clients, calls, stream_every, first, barrier, results) -> None:
    results.put(load_run(url, clients, calls, stream_every, first, barrier))


def load(url: str, clients: int, calls: int, stream_every: int, processes: int) -> dict:
    """The load split over `processes` client processes (1: threads of this process)."""
    if processes <= 1:
        return load_run(url, clients, calls, stream_every)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    shares = [clients // processes + (p < clients % processes) for p in range(processes)]
    firsts = [sum(shares[:p]) for p in range(processes)]
    procs = [ctx.Process(target=_client_process,
                         args=(url, shares[p], calls, stream_every, firsts[p], barrier, results))
             for p in range(processes)]
    for proc in procs:
        proc.start()
    parts = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    merged = {"latencies": {"Converse": [], "ConverseStream": []}, "errors": Counter(),
              "elapsed": max(r["elapsed"] for r in parts), "cpu": sum(r["cpu"] for r in parts)}
    for r in parts:
        for kind, values in r["latencies"].items():
            merged["latencies"][kind] += values
        merged["errors"].update(r["errors"])
    return merged


def connection_burst(port: int, n: int, timeout: float = 20.0) -> dict:
    """Open `n` connections at once and send GET /_engine/health on each as soon as it is
    up: how many were answered, failed (reset/closed) or left hanging, and the slowest."""
    request = b"GET /_engine/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    selector = selectors.DefaultSelector()
    start = time.perf_counter()
    for _ in range(n):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE, b"")
    answered, failed, slowest = 0, 0, 0.0
    deadline = time.monotonic() + timeout
    while selector.get_map() and time.monotonic() < deadline:
        for key, events in selector.select(0.5):
            sock = key.fileobj
            try:
                if events & selectors.EVENT_WRITE:
                    sock.send(request)
                    selector.modify(sock, selectors.EVENT_READ, b"")
                    continue
                data = sock.recv(65536)
            except OSError:
                data = None
            if data and b"\r\n\r\n" not in key.data + data:
                selector.modify(sock, selectors.EVENT_READ, key.data + data)
                continue
            selector.unregister(sock)
            sock.close()
            if data:
                answered += 1
                slowest = time.perf_counter() - start
            else:
                failed += 1
    hanging = len(selector.get_map())
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    return {"answered": answered, "failed": failed, "hanging": hanging, "slowest": slowest}


class _Recording:
    """Answers through a real engine and keeps each request it was given."""

    def __init__(self, engine: Engine):
        self.engine, self.requests = engine, []

    def handle(self, request):
        self.requests.append(request)
        return self.engine.handle(request)


def drain(response) -> None:
    """Produce a response's whole body (an event stream does its work as it is read)."""
    if not isinstance(response.body, (bytes, bytearray)):
        for _ in response.body:
            pass


def engine_baseline(calls: int, stream_every: int) -> float:
    """The engine's own work per call (s): engine.handle, one at a time, no socket, no botocore."""
    engine = Engine()
    recording = _Recording(engine)
    url = "http://127.0.0.1:9"  # never contacted: the in-process hook answers first
    client = boto3.client("bedrock-runtime", endpoint_url=url, config=CONFIG, **KW)
    InProcessTransport(recording, url).attach(client)
    for i in range(calls):  # builds the requests (and warms the engine up)
        one_call(client, 0, i, stream=i % stream_every == stream_every - 1)
    start = time.thread_time()  # CPU time: other work on the machine does not count
    for request in recording.requests:
        drain(engine.handle(request))
    return (time.thread_time() - start) / len(recording.requests)


def start_server(port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "local_bedrock", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/_engine/health", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("python -m local_bedrock did not answer /_engine/health within 60 s")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) in ms; nan if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--calls", type=int, default=20, help="calls per client per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stream-every", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2,
                        help="client processes the clients are split over (1: threads of this one)")
    parser.add_argument("--burst", type=int, default=256,
                        help="connections opened at once in the burst check (0: skip it)")
    args = parser.parse_args()

    base = engine_baseline(200, args.stream_every)
    port = free_port()
    proc = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        load_run(url, 4, 5, args.stream_every)  # warm the child up (tokenizer, responder)
        total = args.clients * args.calls
        print(f"python -m local_bedrock, {args.clients} boto3 clients in {args.processes} "
              f"process(es) x {args.calls} calls (every {args.stream_every}th a ConverseStream, "
              f"no retries), {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f} before")
        print(f"  baseline, engine alone (engine.handle, one at a time): {base * 1e3:.2f} ms "
              f"CPU per call")
        all_errors: Counter = Counter()
        for run in range(1, args.runs + 1):
            cpu0 = cpu_seconds(proc.pid)
            r = load(url, args.clients, args.calls, args.stream_every, args.processes)
            server_cpu = (cpu_seconds(proc.pid) - cpu0) / total
            lat = r["latencies"]
            every = lat["Converse"] + lat["ConverseStream"]
            all_errors.update(r["errors"])
            kinds = ", ".join(f"{k} {v}" for k, v in r["errors"].items())
            print(f"  run {run}: {total / r['elapsed']:4.0f} calls/s  p50 "
                  f"{percentile(every, 0.5):5.0f} ms  p99 {percentile(every, 0.99):5.0f} ms "
                  f"(Converse {percentile(lat['Converse'], 0.99):.0f}, ConverseStream "
                  f"{percentile(lat['ConverseStream'], 0.99):.0f})  errors "
                  f"{sum(r['errors'].values())}/{total}{f' ({kinds})' if kinds else ''}")
            print(f"         CPU per call: server {server_cpu * 1e3:.2f} ms = "
                  f"{server_cpu / base:.2f}x engine alone; clients {r['cpu'] / total * 1e3:.2f} ms")
        n = sum(all_errors.values())
        print(f"  errors over {args.runs} x {total} calls: {n} (target 0) "
              f"{'✔' if n == 0 else '✘'}")
        if args.burst:
            b = connection_burst(port, args.burst)
            print(f"  burst of {args.burst} new connections at once, each GET /_engine/health: "
                  f"answered {b['answered']}, reset/closed {b['failed']}, no answer in 20 s "
                  f"{b['hanging']}; last answer after {b['slowest'] * 1e3:.0f} ms")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
