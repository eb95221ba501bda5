"""Cloud calls with deadlines: retries of throttled/failed requests and waits for a state, with capped backoff."""

from __future__ import annotations

import contextvars
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

T = TypeVar("T")


class CloudError(Exception):
    """A cloud call failed in a way the user must see; the message names the resource."""


class NotFoundError(CloudError):
    """The resource does not exist (any more)."""


class DeadlineError(CloudError):
    """A call or a wait did not finish before its deadline."""


@dataclass(frozen=True)
class Transient:
    """A failure worth retrying: throttling (429), a server error (5xx), or a lost connection."""

    reason: str
    retry_after: float | None = None
    """Seconds the server asked to wait (its Retry-After header), if it said."""


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff: first, first*factor, ... never more than cap seconds."""

    first: float = 0.25
    factor: float = 2.0
    cap: float = 15.0

    def delay(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based)."""
        return float(min(self.cap, self.first * self.factor**attempt))


@dataclass
class Deadline:
    """A point in time, from a clock, that every retry and wait of one operation respects."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.ends = self.clock() + self.seconds

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.ends - self.clock())

    def pause(self, seconds: float) -> None:
        """Sleep `seconds`, but never past the deadline."""
        self.sleep(min(seconds, self.remaining()))


_ACTIVE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("backup_topology_deadline", default=None)
"""The deadline of the operation running in this thread: every HTTP request it sends ends by then."""


@contextmanager
def bounded_by(deadline: Deadline) -> Iterator[None]:
    """Run the block with `deadline` bounding every HTTP request sent from this thread (see `bound_requests`)."""
    token = _ACTIVE.set(deadline)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def request_timeout(timeout: Any) -> Any:
    """`timeout` (None, seconds, or a (connect, read) pair) shortened to what the active deadline leaves."""
    deadline = _ACTIVE.get()
    if deadline is None:
        return timeout
    left = max(0.01, deadline.remaining())
    if isinstance(timeout, tuple):
        return tuple(left if part is None else min(float(part), left) for part in timeout)
    if isinstance(timeout, (int, float)):
        return min(float(timeout), left)
    return left


class _DeadlineAdapter(requests.adapters.BaseAdapter):
    """Wraps an SDK's own transport adapter; only the timeout of each request changes."""

    def __init__(self, inner: requests.adapters.BaseAdapter) -> None:
        super().__init__()
        self.inner = inner

    def send(self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.inner.send(request, stream=stream, timeout=request_timeout(timeout), **kwargs)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def bound_requests(session: requests.Session) -> requests.Session:
    """Make every request of `session` end by the deadline of the operation sending it (`bounded_by`).

    A stalled connection would otherwise hold an operation for the SDK's whole read timeout, past its deadline.
    """
    for prefix, adapter in list(session.adapters.items()):
        if not isinstance(adapter, _DeadlineAdapter):
            session.mount(prefix, _DeadlineAdapter(adapter))
    return session


def environment_fingerprint(*prefixes: str) -> str:
    """A digest of the environment variables starting with `prefixes` (an SDK's settings), never their values.

    Clients cached per process are keyed by it: other credentials in the environment, another client.
    """
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith(prefixes))
    return hashlib.sha256(repr(settings).encode()).hexdigest()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form); None when absent or not a number."""
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


def call(
    fn: Callable[[], T],
    *,
    what: str,
    deadline: Deadline,
    transient: Callable[[Exception], Transient | None],
    backoff: Backoff | None = None,
) -> T:
    """Call `fn`, retrying transient failures (honouring Retry-After) until it succeeds or the deadline passes.

    `transient` classifies an exception: a Transient to retry, None to raise it as is.
    """
    policy = backoff or Backoff()
    attempt = 0
    while True:
        try:
            with bounded_by(deadline):
                return fn()
        except Exception as exc:
            why = transient(exc)
            if why is None:
                raise
            delay = why.retry_after if why.retry_after is not None else policy.delay(attempt)
            if deadline.remaining() <= delay:
                msg = f"{what}: gave up at the deadline after {attempt + 1} attempts; last failure: {why.reason}"
                raise DeadlineError(msg) from exc
            deadline.pause(delay)
            attempt += 1


def wait_for(
    fetch: Callable[[], T],
    *,
    what: str,
    done: Callable[[T], bool],
    failed: Callable[[T], str | None],
    describe: Callable[[T], str],
    deadline: Deadline,
    progress: Callable[[str], None] | None = None,
    backoff: Backoff | None = None,
    report_every: float = 30.0,
) -> T:
    """Poll `fetch` until `done`, raising CloudError when `failed` says why, or DeadlineError at the deadline.

    Progress is reported on every state change and at least every `report_every` seconds.
    """
    # a first look soon after the request: a fast operation is seen done at once, a slow one costs a few more reads
    policy = backoff or Backoff(first=0.2, cap=10.0)
    attempt = 0
    last_state: str | None = None
    last_report = deadline.clock()
    while True:
        current = fetch()
        state = describe(current)
        if done(current):
            return current
        reason = failed(current)
        if reason is not None:
            msg = f"{what}: {reason}"
            raise CloudError(msg)
        now = deadline.clock()
        if progress is not None and (state != last_state or now - last_report >= report_every):
            progress(f"{what}: {state}, waiting ({deadline.remaining():.0f}s left)")
            last_report = now
        last_state = state
        delay = policy.delay(attempt)
        if deadline.remaining() <= 0:
            msg = f"{what}: still {state} at the deadline ({deadline.seconds:.0f}s)"
            raise DeadlineError(msg)
        deadline.pause(delay)
        attempt += 1


def post_once(post: Callable[[], T], find: Callable[[], T | None]) -> Callable[[], T]:
    """An attempt for `call` that creates something at most once.

    The first attempt POSTs; every retry first looks the resource up (`find`, by its unique name or marker): an
    earlier POST may have made it although its answer was lost, and a second POST would duplicate it or fail.
    """
    posted = False

    def attempt() -> T:
        nonlocal posted
        if posted:
            found = find()
            if found is not None:
                return found
        posted = True
        return post()

    return attempt


def wait_gone(
    fetch: Callable[[], Any],
    *,
    what: str,
    state: Callable[[Any], str],
    failed_states: frozenset[str],
    deadline: Deadline,
    gone_states: frozenset[str] = frozenset(),
    progress: Callable[[str], None] | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Poll `fetch` until the resource is gone (NotFoundError, or a state in `gone_states`), with a deadline."""
    gone = "gone"

    def probe() -> str:
        try:
            return state(fetch())
        except NotFoundError:
            return gone

    wait_for(
        probe,
        what=what,
        done=lambda current: current == gone or current in gone_states,
        failed=lambda current: f"is {current}" if current in failed_states else None,
        describe=lambda current: current,
        deadline=deadline,
        progress=progress,
        backoff=backoff,
    )
