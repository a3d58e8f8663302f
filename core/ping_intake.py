"""Writing push monitors' pings: group commit, so that a ping is durable before it is
answered and thousands a second cost a few transactions, not thousands.

Each request hands its ping to `PingIntake.submit` and waits. One writer task takes
everything waiting (at most MAX_BATCH) and, in ONE transaction:
1. finds the batch's monitors by token hash and locks them (id order, as recording
   does, so the two cannot deadlock);
2. walks the pings in arrival order per monitor: a start remembers when the run began;
   a success or a failure ends it (its run time is the time since the start), and
   becomes a check result dated at its arrival (or at the monitor's last check, if
   that is later: a ping beats a judgement of silence, see core/kinds/push.py), whose
   next deadline it sets. A paused monitor keeps its pings but judges nothing;
3. inserts the pings, updates the monitors' push columns (and, where the last word was
   a start, moves the deadline to the start plus the grace, if sooner), and records the
   results through core/recording, incidents and alerts included.
Once committed it answers the batch's requests: True (200), False for a token no push
monitor has (404), or the database's exception (503: nothing was written, the job may
retry). While a batch is written, new pings queue for the next one: the busier the
endpoint, the larger the batches, with no timer to tune.

The next batch does not wait for the whole write, only for step 1: once a batch holds
its monitors' locks, the writer starts the next (at most MAX_IN_FLIGHT at once). A
monitor in both waits in the database for the first to commit, then reads what it
wrote, so each monitor still takes its pings in arrival order; monitors in only one go
ahead. Each round trip to the database waits for a turn of an event loop that is also
serving the requests, so a batch takes several milliseconds even when small: one at a
time, the time a ping waits for the batch before its own to end doubled its latency
(measured with bench/pings.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core import kinds
from core.kinds import push
from core.probe import ErrorKind, ProbeResult
from core.recording import RECORDING_COLUMNS, lock_monitors, record_results_in
from db.bulk import Row, Writes
from db.connection import current_connection
from db.models import PingKind

log = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_IN_FLIGHT = 2  # batches written at once (module doc)
MAX_BODY_BYTES = 10 * 1024  # kept of a ping's body
MAX_USER_AGENT = 256

PING_COLUMNS = (
    ("monitor_id", "int"),
    ("received_at", "timestamptz"),
    ("kind", "varchar"),
    ("exit_status", "smallint"),
    ("run_ms", "bigint"),
    ("body", "text"),
    ("user_agent", "varchar"),
    ("source", "varchar"),
)
PUSH_STATE_COLUMNS = (
    ("push_last_ping_at", "timestamptz"),
    ("push_last_success_at", "timestamptz"),
    ("push_started_at", "timestamptz"),
    ("push_last_body", "text"),
)
# What the intake reads of a monitor: what recording needs, and the push kind's values.
INTAKE_COLUMNS = (
    *RECORDING_COLUMNS, "params", "push_token_hash",
    *(name for name, _ in PUSH_STATE_COLUMNS),
)  # fmt: skip


def clean_body(raw: bytes) -> str | None:
    """The first MAX_BODY_BYTES of a body as text (undecodable bytes replaced, NUL
    removed: PostgreSQL text cannot hold it); None when empty."""
    text = raw[:MAX_BODY_BYTES].decode("utf-8", errors="replace").replace("\x00", "")
    return text or None


def clean_header(value: str | None, limit: int) -> str | None:
    """A request header as text the database takes, cut to `limit` characters; None when
    empty. Bytes that were not UTF-8 (aiohttp keeps them as lone surrogates, which no
    database encodes) become U+FFFD: one such header must not fail the batch it is
    written in, and every other ping in it, with a 503."""
    if not value:
        return None
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace").replace("\x00", "")[:limit] or None


@dataclass
class IncomingPing:
    token_hash: str
    kind: PingKind
    received_at: datetime
    exit_status: int | None = None
    body: str | None = None
    user_agent: str | None = None
    source: str | None = None
    answer: asyncio.Future | None = field(default=None, repr=False)


@functools.lru_cache(maxsize=4096)
def _schedule(params: str | None) -> Mapping[str, Any]:
    """A push monitor's schedule (what push.deadline_after reads, and the grace) from
    its params column as stored: monitors of one schedule share it, read once."""
    values = kinds.values_of("push", lambda _column: None, json.loads(params) if params else None)
    return MappingProxyType({name: values[name] for name in ("period", "cron", "tz", "grace")})


@dataclass
class _PushState:
    """One monitor's push columns while a batch is walked (step 2)."""

    monitor: Row  # of INTAKE_COLUMNS, locked (params as the database's text)
    values: Mapping[str, Any]  # the schedule
    last_ping_at: datetime | None
    last_success_at: datetime | None
    started_at: datetime | None
    last_body: str | None
    results: list[ProbeResult] = field(default_factory=list)

    @classmethod
    def of(cls, monitor: Row) -> _PushState:
        return cls(
            monitor,
            _schedule(monitor.params),
            monitor.push_last_ping_at,
            monitor.push_last_success_at,
            monitor.push_started_at,
            monitor.push_last_body,
        )

    def take(self, ping: IncomingPing) -> tuple:
        """Apply one ping; returns its row for the pings table."""
        run_ms = None
        if ping.kind == PingKind.START:
            self.started_at = ping.received_at
        else:
            if self.started_at is not None:
                run_ms = max(0, round((ping.received_at - self.started_at).total_seconds() * 1000))
            self.started_at = None
            ok = ping.kind == PingKind.SUCCESS
            if ok:
                self.last_success_at = ping.received_at
            if not self.monitor.paused:
                self.results.append(self._result(ping, ok, run_ms))
        self.last_ping_at = ping.received_at
        self.last_body = ping.body
        return (
            self.monitor.id, ping.received_at, ping.kind.value, ping.exit_status, run_ms,
            ping.body, ping.user_agent, ping.source,
        )  # fmt: skip

    def _result(self, ping: IncomingPing, ok: bool, run_ms: int | None) -> ProbeResult:
        message = None
        if not ok:
            exit_part = f"[exit {ping.exit_status}]" if ping.exit_status is not None else ""
            message = " ".join(p for p in (exit_part, push.said(ping.body)) if p) or None
        # Dated no earlier than the monitor's last check: a ping written after a
        # judgement of silence is news, never a stale result (core/kinds/push.py).
        checked_at = ping.received_at
        last_check = self.monitor.last_check_at
        if last_check is not None and checked_at < last_check:
            checked_at = last_check
        return ProbeResult(
            checked_at=checked_at,
            ok=ok,
            latency_ms=min(run_ms, 2**31 - 1) if run_ms is not None else None,
            error_kind=None if ok else ErrorKind.REPORTED_FAILURE,
            error_message=message,
            next_due_at=push.deadline_after(self.values, ping.received_at),
        )

    def start_deadline(self) -> datetime | None:
        """When a run started and not ended (the batch's last word) becomes a failure."""
        if self.started_at is None or self.monitor.paused:
            return None
        return self.started_at + timedelta(seconds=self.values["grace"])


class PingIntake:
    """The group-commit writer (module doc). `start` it before submitting; `stop`
    writes what waits and ends the writer."""

    def __init__(self, max_batch: int = MAX_BATCH, in_flight: int = MAX_IN_FLIGHT) -> None:
        self.max_batch = max_batch
        self._waiting: list[IncomingPing] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._slots = asyncio.Semaphore(in_flight)
        self._writing: set[asyncio.Task] = set()
        # Pings written and batches committed since start (bench/pings.py reads them).
        self.written = 0
        self.batches = 0

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="ping-intake")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def submit(self, ping: IncomingPing) -> bool:
        """Write `ping`; True once it is durable, False for an unknown token. Raises the
        database's error when the batch could not be written."""
        if self._task is None or self._stopping:
            raise RuntimeError("the ping intake is not running")
        ping.answer = asyncio.get_running_loop().create_future()
        self._waiting.append(ping)
        self._wakeup.set()
        return await ping.answer

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                await self._slots.acquire()
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                locked = asyncio.get_running_loop().create_future()
                task = asyncio.create_task(self._write_and_answer(batch, locked))
                self._writing.add(task)
                task.add_done_callback(self._writing.discard)
                await locked  # its monitors are locked (or it ended): the next may start
            if self._stopping:
                await asyncio.gather(*self._writing)
                return

    async def _write_and_answer(self, batch: list[IncomingPing], locked: asyncio.Future) -> None:
        def now_locked() -> None:
            if not locked.done():
                locked.set_result(None)

        try:
            await write_pings(batch, locked=now_locked, committed=self._answer)
        except Exception as exc:  # the database is down or refused: answer 503, lose nothing
            unanswered = [p for p in batch if p.answer is not None and not p.answer.done()]
            if unanswered:
                log.warning("pings not written (%d answered 503): %s", len(unanswered), exc)
            for ping in unanswered:
                ping.answer.set_exception(exc)
        finally:
            now_locked()
            self._slots.release()

    def _answer(self, batch: list[IncomingPing], known: list[bool]) -> None:
        self.written += sum(known)
        self.batches += 1
        for ping, was_known in zip(batch, known, strict=True):
            if ping.answer is not None and not ping.answer.done():
                ping.answer.set_result(was_known)


def _nothing(*_args: Any) -> None:
    return None


async def write_pings(
    batch: list[IncomingPing],
    locked: Callable[[], None] = _nothing,
    committed: Callable[[list[IncomingPing], list[bool]], None] = _nothing,
) -> list[bool]:
    """Write a batch (module doc, steps 1-3); for each ping, whether its token is known.
    `locked()` is called once the batch's monitors are locked, `committed(batch,
    known)` as soon as the transaction has committed (before its connection goes back
    to the pool, a round trip of its own)."""
    hashes = sorted({ping.token_hash for ping in batch})
    async with in_transaction(current_connection().connection_name) as conn:
        monitors = await lock_monitors(
            conn, INTAKE_COLUMNS, "push_token_hash", hashes, "varchar",
            since=min(ping.received_at for ping in batch), undecoded=("params",),
        )  # fmt: skip
        locked()
        states = {m.push_token_hash: _PushState.of(m) for m in monitors if m.kind == "push"}
        rows, known = [], []
        for ping in batch:
            state = states.get(ping.token_hash)
            known.append(state is not None)
            if state is not None:
                rows.append(state.take(ping))
        recorded = await _write_states(conn, rows, list(states.values()))
        await conn.commit()
        recorded()
        committed(batch, known)
    return known


async def _write_states(
    conn: BaseDBAsyncClient, rows: list[tuple], states: list[_PushState]
) -> Any:
    """Step 3; returns what to do once committed. The pings go with the results' own
    writes, and the push columns (and a deadline a start moved) with the monitors'
    state: one statement on PostgreSQL."""
    writes = Writes()
    writes.insert("pings", PING_COLUMNS, rows)
    for state in states:
        monitor = state.monitor
        monitor.push_last_ping_at, monitor.push_last_success_at = (
            state.last_ping_at,
            state.last_success_at,
        )
        monitor.push_started_at, monitor.push_last_body = state.started_at, state.last_body
        start_due = state.start_deadline()
        if start_due is None:
            continue
        if state.results:  # the run started after the last result: judged at its end
            last = state.results[-1]
            last.next_due_at = min(last.next_due_at or start_due, start_due)
        else:
            monitor.next_check_at = min(monitor.next_check_at or start_due, start_due)
    results = [(s.monitor.id, result) for s in states for result in s.results]
    _recorded, committed = await record_results_in(
        conn,
        results,
        locked={s.monitor.id: s.monitor for s in states},
        also=PUSH_STATE_COLUMNS,
        writes=writes,
    )
    return committed
