"""Retries and waits against a fake clock: Retry-After, capped backoff, deadlines, non-transient errors."""

from __future__ import annotations

import pytest

from components.clouds.calls import (
    Backoff,
    CloudError,
    Deadline,
    DeadlineError,
    NotFoundError,
    Transient,
    call,
    parse_retry_after,
    post_once,
    wait_for,
    wait_gone,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ThrottledError(Exception):
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after


def transient(exc: Exception) -> Transient | None:
    return Transient("throttled", exc.retry_after) if isinstance(exc, ThrottledError) else None


def deadline(seconds: float, clock: Clock) -> Deadline:
    return Deadline(seconds, clock=clock, sleep=clock.sleep)


def test_backoff_is_exponential_and_capped() -> None:
    assert [Backoff(first=1, factor=2, cap=5).delay(i) for i in range(5)] == [1, 2, 4, 5, 5]


def test_retry_after_header_values() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") is None


def test_call_waits_what_the_server_asked_then_succeeds() -> None:
    clock = Clock()
    answers: list[Exception | str] = [ThrottledError(7), ThrottledError(None), "done"]

    def fn() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call(fn, what="op", deadline=deadline(60, clock), transient=transient) == "done"
    assert clock.sleeps == [7, 0.5]  # the second retry backs off as the second attempt (0.25, 0.5, ...)


def test_call_gives_up_at_the_deadline() -> None:
    clock = Clock()

    def fn() -> str:
        raise ThrottledError(None)

    with pytest.raises(DeadlineError, match="op: gave up at the deadline"):
        call(fn, what="op", deadline=deadline(10, clock), transient=transient)
    assert clock.now <= 10


def test_call_raises_other_errors_at_once() -> None:
    clock = Clock()

    def fn() -> str:
        raise KeyError

    with pytest.raises(KeyError):
        call(fn, what="op", deadline=deadline(10, clock), transient=transient)
    assert clock.sleeps == []


def test_wait_for_reports_progress_and_returns_when_done() -> None:
    clock = Clock()
    states = iter(["BUSY", "BUSY", "BUSY", "READY"])
    said: list[str] = []
    found = wait_for(
        lambda: next(states),
        what="vault v",
        done=lambda s: s == "READY",
        failed=lambda s: None,
        describe=lambda s: s,
        deadline=deadline(100, clock),
        progress=said.append,
    )
    assert found == "READY"
    assert clock.sleeps == [0.2, 0.4, 0.8]  # capped exponential backoff, from a first look soon after
    assert said == ["vault v: BUSY, waiting (100s left)"]


def test_wait_for_fails_with_the_reason() -> None:
    clock = Clock()
    with pytest.raises(CloudError, match="vault v: became DELETED"):
        wait_for(
            lambda: "DELETED",
            what="vault v",
            done=lambda s: False,
            failed=lambda s: f"became {s}",
            describe=lambda s: s,
            deadline=deadline(100, clock),
        )


def test_wait_for_stops_at_the_deadline_with_the_last_state() -> None:
    clock = Clock()
    with pytest.raises(DeadlineError, match="vault v: still BUSY at the deadline"):
        wait_for(
            lambda: "BUSY",
            what="vault v",
            done=lambda s: False,
            failed=lambda s: None,
            describe=lambda s: s,
            deadline=deadline(30, clock),
        )
    assert clock.now == pytest.approx(30)
    assert max(clock.sleeps) <= 10


def test_post_once_looks_up_before_posting_again() -> None:
    posts: list[str] = []
    made: dict[str, str] = {}

    def post() -> str:
        posts.append("post")
        made["x"] = "created"
        raise ThrottledError(None)  # the server acted, its answer was lost

    def find() -> str | None:
        return made.get("x")

    clock = Clock()
    assert call(post_once(post, find), what="op", deadline=deadline(10, clock), transient=transient) == "created"
    assert posts == ["post"]


def test_wait_gone_ends_when_the_resource_is_not_found_or_fails_on_a_failed_state() -> None:
    clock = Clock()
    reads = iter([{"s": "deleting"}, {"s": "deleting"}])

    def fetch() -> dict[str, str]:
        try:
            return next(reads)
        except StopIteration:
            raise NotFoundError from None

    wait_gone(fetch, what="x", state=lambda r: r["s"], failed_states=frozenset({"error"}), deadline=deadline(60, clock))
    assert len(clock.sleeps) == 2
    with pytest.raises(CloudError, match="x: is error"):
        wait_gone(
            lambda: {"s": "error"},
            what="x",
            state=lambda r: r["s"],
            failed_states=frozenset({"error"}),
            deadline=deadline(60, clock),
        )
