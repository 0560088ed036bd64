"""A resumable batch runner for Bedrock calls: threads, adaptive backoff, a disk checkpoint.

Lab 08's own helper (08.04), beside its notebooks, which import it by plain name:

    from batch_runner import run_batch
    report = run_batch(items, fn, "build/checkpoints/run.jsonl", concurrency=8)

`items` maps an id to a payload (a dict, a list of (id, payload) pairs, or a list of dicts with
an "id" key); `fn(payload)` makes the call and returns something JSON-serialisable.

Guarantee: every item ends as exactly one line in the checkpoint, either its result or a
recorded error. A line is appended (and flushed to disk) only after the item is finished, so
after a crash, `kill -9` or a closed laptop, running the same command again skips what is
recorded and does the rest: nothing lost, nothing duplicated. (A call that was in flight at
the moment of the kill is made again on resume: calls are at-least-once, records exactly-once.)

Retries are the runner's job, so give `fn` a client with botocore retries off
(`NO_RETRY_CONFIG`): throttles (429) wait behind a shared rate limiter and exponential backoff
with jitter; server-side errors (5xx, ModelTimeoutException 408, connection drops) are retried
up to `max_attempts`; client errors (ValidationException, AccessDenied...) are recorded at once.
"""

from __future__ import annotations

import collections
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config

NO_RETRY_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1},
                         max_pool_connections=64)  # one attempt: the runner does the retries
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
                  "ProvisionedThroughputExceededException", "SlowDown"}
TRANSIENT_CODES = {"ServiceUnavailableException", "InternalServerException",
                   "ModelTimeoutException", "ModelNotReadyException", "InternalFailure",
                   "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException"}


# ----------------------------------------------------------------------------- errors


def classify(exc: BaseException) -> str:
    """'throttle', 'transient' (worth retrying) or 'fatal' for an exception raised by a call."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLE_CODES or status == 429:
            return "throttle"
        if code in TRANSIENT_CODES or status >= 500 or status == 408:
            return "transient"
        return "fatal"
    if isinstance(exc, (ConnectionError, HTTPClientError, TimeoutError)):
        return "transient"
    return "fatal"


def error_record(exc: BaseException) -> dict:
    """A JSON-able description of an exception: code, message, HTTP status."""
    response = getattr(exc, "response", None) or {}
    err = response.get("Error", {})
    return {"code": err.get("Code") or type(exc).__name__,
            "message": err.get("Message") or str(exc),
            "status": response.get("ResponseMetadata", {}).get("HTTPStatusCode")}


# ----------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Paces the calls of all threads; learns the rate from throttles (AIMD) if not told it.

    Told your quota (`requests` per `per_s` seconds, e.g. 100 per 60 from Service Quotas), it
    lets at most that many calls start in any sliding window of `per_s` + `skew_s` seconds
    (the skew covers the time from a call's start to the server counting it), as the server
    counts them; a call the server throttled gives its slot back and simply waits for the next,
    and widens the skew allowance (at most once per window; it shrinks back while no call is
    throttled).

    Not told, it sends unpaced until the first throttle, then paces at the rate the server was
    admitting over the last `horizon_s` and adapts: cut by `decrease` on a throttle (at most
    once per `cooldown_s`), raised by `increase` per admitted call to probe for more, never
    above `ceiling` x the admitted rate.
    """

    def __init__(self, requests: int | None = None, per_s: float = 60.0, skew_s: float = 0.005,
                 decrease: float = 0.9, increase: float = 0.01, min_rate: float = 0.05,
                 cooldown_s: float = 0.5, ceiling: float = 1.25, horizon_s: float = 2.0):
        self.requests, self.per_s, self.skew_s = requests, per_s, skew_s
        self._skew_min = skew_s
        self.decrease, self.increase, self.min_rate = decrease, increase, min_rate
        self.cooldown_s, self.ceiling, self.horizon_s = cooldown_s, ceiling, horizon_s
        self.rate: float | None = None  # adaptive mode: calls per second, None = unpaced
        self._lock = threading.Lock()
        self._slots: list[list[float]] = []  # quota mode: start times inside the window
        self._admitted: collections.deque = collections.deque()
        self._next = 0.0
        self._last_cut = -1e9

    def acquire(self, stop: threading.Event | None = None) -> list[float] | None:
        """Block until this thread may start a call; returns the slot to give to release()."""
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._wait(now)
                if wait <= 0:
                    slot = [now]
                    if self.requests:
                        self._slots.append(slot)
                    if self.rate:
                        self._next = max(self._next, now) + 1.0 / self.rate
                    return slot
            if stop is not None and stop.is_set():
                return None
            time.sleep(min(wait, 0.05))

    def _wait(self, now: float) -> float:
        if self.requests:
            window = self.per_s + self.skew_s
            self._slots = [s for s in self._slots if now - s[0] < window]
            if len(self._slots) >= self.requests:
                return min(s[0] for s in self._slots) + window - now
            return 0.0
        if self.rate:
            return self._next - now
        return 0.0

    def release(self, slot: list[float] | None, throttled: bool, counted: bool = True) -> None:
        """After a call: a throttled call frees its slot and slows the pace; a call the server
        failed to process (5xx, `counted=False`) frees its slot; others count."""
        with self._lock:
            now = time.monotonic()
            if not counted and not throttled:
                if self.requests and slot is not None and slot in self._slots:
                    self._slots.remove(slot)
                return
            while self._admitted and now - self._admitted[0] > self.horizon_s:
                self._admitted.popleft()
            if throttled:
                if self.requests:  # our clock ran ahead of the server's: widen the skew
                    if slot is not None and slot in self._slots:
                        self._slots.remove(slot)
                    if now - self._last_cut >= self.per_s:  # at most once per window
                        self._last_cut = now
                        self.skew_s = min(self.per_s * 0.1, self.skew_s * 1.25 + 0.001)
                elif now - self._last_cut >= self.cooldown_s:
                    self._last_cut = now
                    self.rate = max(self.min_rate, self.decrease * (self.rate or self._measured(now)))
                return
            self._admitted.append(now)
            if self.requests:  # no throttles: let the skew allowance shrink back slowly
                self.skew_s = max(self._skew_min, self.skew_s * 0.995)
            elif self.rate:
                self.rate = min(self.rate * (1 + self.increase), self.ceiling * self._measured(now))

    def _measured(self, now: float) -> float:
        """Calls the server admitted per second over the last `horizon_s` seconds."""
        if len(self._admitted) < 2:
            return 1.0
        return len(self._admitted) / max(now - self._admitted[0], 1e-3)


# ----------------------------------------------------------------------------- checkpoint


class Checkpoint:
    """Append-only JSONL: one line per finished item, keyed by id; repairs a torn last line.

    Each line is flushed to the operating system as soon as it is written, which survives the
    process being killed (even `kill -9`); `fsync=True` also survives a power cut, at a few
    milliseconds per item.
    """

    def __init__(self, path: str | os.PathLike, fsync: bool = False):
        self.path = Path(path)
        self.fsync = fsync
        self._lock = threading.Lock()
        self.records: dict[str, dict] = {}
        self.duplicates = 0
        self.repaired = False
        self._load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        good_end = 0
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
            line = data[pos:end]
            try:
                rec = json.loads(line)
                complete = nl >= 0
            except ValueError:
                rec, complete = None, False
            if rec is None or not complete:
                if data[end:].strip():
                    raise ValueError(f"{self.path}: line at byte {pos} is not valid JSON and is "
                                     "not the last line; the checkpoint was edited or corrupted.")
                break  # a torn last line from a kill mid-write: drop it, the item re-runs
            if rec["id"] in self.records:
                self.duplicates += 1
            else:
                self.records[rec["id"]] = rec
            good_end = end
            pos = end
        if good_end < len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
            self.repaired = True

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.records

    def append(self, record: dict) -> bool:
        """Write one finished item (False, and nothing written, if its id is already there)."""
        line = json.dumps(record, default=str) + "\n"
        with self._lock:
            if record["id"] in self.records:
                return False
            self._fh.write(line)
            self._fh.flush()
            if self.fsync:
                os.fsync(self._fh.fileno())
            self.records[record["id"]] = record
            return True

    def close(self) -> None:
        self._fh.close()


def read_checkpoint(path: str | os.PathLike) -> list[dict]:
    """Every complete line of a checkpoint, in file order (duplicates included, if any)."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.endswith("\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def audit(path: str | os.PathLike, ids: Iterable[str]) -> dict:
    """Check the guarantee: each expected id appears exactly once (as a result or an error)."""
    expected = [str(i) for i in ids]
    counts = collections.Counter(r["id"] for r in read_checkpoint(path))
    lines = read_checkpoint(path)
    return {
        "items": len(expected),
        "results": sum(1 for r in lines if r["status"] == "ok"),
        "errors": sum(1 for r in lines if r["status"] == "error"),
        "lost": sum(1 for i in expected if counts[i] == 0),
        "duplicated": sum(1 for i in expected if counts[i] > 1),
        "unexpected": sum(1 for i in counts if i not in set(expected)),
    }


def drop_errors(path: str | os.PathLike) -> int:
    """Remove recorded errors from a checkpoint (atomically) so a new run retries them."""
    path = Path(path)
    lines = read_checkpoint(path)
    keep = [r for r in lines if r["status"] != "error"]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, default=str) + "\n" for r in keep), encoding="utf-8")
    os.replace(tmp, path)
    return len(lines) - len(keep)


# ----------------------------------------------------------------------------- the runner


@dataclass
class BatchReport:
    """What a run did, plus every recorded result and error (this run and earlier ones)."""

    results: dict[str, Any]
    errors: dict[str, dict]
    skipped: int  # already in the checkpoint when the run started
    processed: int  # finished (result or error) by this run
    calls: int  # calls made by this run, retries included
    throttles: int
    retried_errors: int  # transient server-side errors that were retried or recorded
    elapsed_s: float
    events: list[tuple[float, str]] = field(default_factory=list, repr=False)

    @property
    def succeeded(self) -> int:
        return len(self.results)

    def throughput(self, bin_s: float = 1.0) -> list[dict]:
        """Per time bin: calls started by outcome and successes per second, for plots."""
        if not self.events:
            return []
        n = int(max(t for t, _ in self.events) // bin_s) + 1
        rows = [{"t_s": round(i * bin_s, 3), "ok": 0, "throttle": 0, "transient": 0,
                 "fatal": 0} for i in range(n)]
        for t, outcome in self.events:
            rows[int(t // bin_s)][outcome] += 1
        for r in rows:
            r["ok_per_s"] = r["ok"] / bin_s
        return rows

    def summary(self) -> dict:
        """One row for a table."""
        return {"results": len(self.results), "errors": len(self.errors),
                "skipped (already done)": self.skipped, "processed now": self.processed,
                "calls": self.calls, "throttled": self.throttles,
                "5xx retried": self.retried_errors, "seconds": round(self.elapsed_s, 2)}


def normalise_items(items: Mapping | Iterable, key: str = "id") -> list[tuple[str, Any]]:
    """[(id, payload)] from a mapping, (id, payload) pairs, or dicts carrying `key`."""
    if isinstance(items, Mapping):
        pairs = [(str(k), v) for k, v in items.items()]
    else:
        pairs = []
        for it in items:
            if isinstance(it, Mapping):
                pairs.append((str(it[key]), it))
            else:
                item_id, payload = it
                pairs.append((str(item_id), payload))
    seen = collections.Counter(i for i, _ in pairs)
    dupes = [i for i, n in seen.items() if n > 1]
    if dupes:
        raise ValueError(f"item ids must be unique; repeated: {dupes[:5]}")
    return pairs


def run_batch(items: Mapping | Iterable, fn: Callable[[Any], Any],
              checkpoint: str | os.PathLike, *, concurrency: int = 8, max_attempts: int = 6,
              max_throttles: int = 200, base_delay_s: float = 0.05, max_delay_s: float = 2.0,
              limiter: RateLimiter | None = None, progress: bool = True, desc: str = "batch",
              key: str = "id", fsync: bool = False, seed: int | None = None) -> BatchReport:
    """Run fn over every item not yet in `checkpoint`; see the module docstring.

    `limiter` paces calls (pass `RateLimiter(requests=R, per_s=60)` when you know the quota;
    the default adapts to throttles). An item fails for good after `max_attempts` server
    errors or `max_throttles` throttles; its error is recorded and the run goes on.
    KeyboardInterrupt (or any BaseException from fn) stops the run cleanly: calls in flight
    finish and are recorded, nothing else starts.
    """
    pairs = normalise_items(items, key)
    ckpt = Checkpoint(checkpoint, fsync=fsync)
    todo = [(i, p) for i, p in pairs if i not in ckpt]
    skipped = len(pairs) - len(todo)
    limiter = limiter or RateLimiter()
    rng = random.Random(seed)
    rng_lock = threading.Lock()
    stop = threading.Event()
    lock = threading.Lock()
    counters = collections.Counter()
    events: list[tuple[float, str]] = []
    failure: list[BaseException] = []
    queue = iter(todo)
    bar = _progress_bar(len(pairs), skipped, desc) if progress else None
    start = time.monotonic()

    def jitter(delay: float) -> float:
        with rng_lock:
            return rng.uniform(0, delay)

    def note(outcome: str) -> None:
        with lock:
            counters[outcome] += 1
            events.append((time.monotonic() - start, outcome))

    def process(item_id: str, payload: Any) -> dict | None:
        attempts = throttles = 0
        while not stop.is_set():
            slot = limiter.acquire(stop)
            if stop.is_set():
                return None
            try:
                result = fn(payload)
            except Exception as exc:  # noqa: BLE001 - every call failure is classified
                kind = classify(exc)
                note(kind)
                limiter.release(slot, throttled=kind == "throttle", counted=kind != "transient")
                if kind == "throttle":
                    throttles += 1
                    if throttles >= max_throttles:
                        return _error_line(item_id, exc, attempts + throttles)
                    grow = 0 if limiter.requests else min(throttles, 4)  # the limiter paces
                    stop.wait(jitter(min(max_delay_s, base_delay_s * 2 ** grow)))
                    continue
                attempts += 1
                if kind == "transient" and attempts < max_attempts:
                    stop.wait(jitter(min(max_delay_s, base_delay_s * 2 ** attempts)))
                    continue
                return _error_line(item_id, exc, attempts + throttles)
            note("ok")
            limiter.release(slot, throttled=False)
            return {"id": item_id, "status": "ok", "result": result,
                    "attempts": attempts + throttles + 1}
        return None

    def worker() -> None:
        while not stop.is_set():
            with lock:
                nxt = next(queue, None)
            if nxt is None:
                return
            try:
                line = process(*nxt)
            except BaseException as exc:  # KeyboardInterrupt/SystemExit from fn: stop the run
                failure.append(exc)
                stop.set()
                return
            if line is not None and ckpt.append(line) and bar is not None:
                with lock:
                    bar.update(1)
                    bar.set_postfix(ok=counters["ok"], throttled=counters["throttle"],
                                    errors=counters["transient"] + counters["fatal"],
                                    refresh=False)

    threads = [threading.Thread(target=worker, daemon=True, name=f"batch-{n}")
               for n in range(max(1, min(concurrency, len(todo))))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.1)
    except BaseException:
        stop.set()
        for t in threads:
            t.join()
        raise
    finally:
        if bar is not None:
            bar.close()
        ckpt.close()
    if failure:
        raise failure[0]
    records = ckpt.records.values()
    return BatchReport(
        results={r["id"]: r["result"] for r in records if r["status"] == "ok"},
        errors={r["id"]: r["error"] for r in records if r["status"] == "error"},
        skipped=skipped, processed=len(ckpt.records) - skipped,
        calls=sum(counters.values()), throttles=counters["throttle"],
        retried_errors=counters["transient"], elapsed_s=time.monotonic() - start,
        events=sorted(events))


def _error_line(item_id: str, exc: BaseException, attempts: int) -> dict:
    return {"id": item_id, "status": "error", "error": error_record(exc), "attempts": attempts}


def _progress_bar(total: int, done: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, desc=desc, unit="item", smoothing=0.1)
