"""Which generations retention keeps: by count, by age, and whole chains of incremental backups."""

from __future__ import annotations

import datetime

from components.retention import Generation, chains, expired, expired_chains, ibm_series_tag

NOW = datetime.datetime(2026, 11, 23, 12, tzinfo=datetime.UTC)


def gen(id_: str, days_ago: float, *, incremental: bool = False) -> Generation:
    return Generation(id_, f"name-{id_}", NOW - datetime.timedelta(days=days_ago), incremental)


def ids(found: list[Generation]) -> list[str]:
    return [g.id for g in found]


def test_keep_last_expires_the_oldest_beyond_the_count() -> None:
    held = [gen("a", 3), gen("b", 2), gen("c", 1), gen("d", 0)]
    assert ids(expired(held, {"d"}, 2, None, NOW)) == ["b", "a"]


def test_max_age_expires_what_is_older_than_the_limit() -> None:
    held = [gen("a", 10), gen("b", 6), gen("c", 0)]
    assert ids(expired(held, {"c"}, None, 7, NOW)) == ["a"]


def test_both_limits_expire_what_breaks_either() -> None:
    held = [gen("a", 10), gen("b", 2), gen("c", 1), gen("d", 0)]
    assert ids(expired(held, {"d"}, 3, 5, NOW)) == ["a"]
    assert ids(expired(held, {"d"}, 2, 5, NOW)) == ["b", "a"]


def test_the_current_generation_is_never_expired() -> None:
    held = [gen("old-current", 400), gen("newer-stray", 0)]
    assert ids(expired(held, {"old-current"}, 1, 30, NOW)) == []


def test_chains_start_at_each_full_backup() -> None:
    held = [gen("f1", 5), gen("i1", 4, incremental=True), gen("f2", 3), gen("i2", 2, incremental=True)]
    assert [ids(c) for c in chains(held)] == [["f1", "i1"], ["f2", "i2"]]


def test_a_full_backup_with_a_kept_incremental_is_not_deleted() -> None:
    # keep_last 2 would drop f1 alone; i1 depends on it, so the chain stays whole.
    held = [gen("f1", 3), gen("i1", 2, incremental=True), gen("i2", 1, incremental=True)]
    assert ids(expired_chains(held, {"i2"}, 2, None, NOW)) == []


def test_a_chain_ages_out_whole_newest_first() -> None:
    held = [
        gen("f1", 30),
        gen("i1", 29, incremental=True),
        gen("f2", 3),
        gen("i2", 2, incremental=True),
    ]
    assert ids(expired_chains(held, {"i2"}, None, 7, NOW)) == ["i1", "f1"]


def test_the_ibm_series_tag_fits_ibm_tag_rules() -> None:
    tag = ibm_series_tag("Backup-Topology/prod/ibm-snapshot/" + "x" * 200)
    assert len(tag) <= 128
    assert all(c.isalnum() or c in "_-.: " for c in tag)
    assert tag != ibm_series_tag("backup-topology/prod/ibm-snapshot/" + "x" * 200)  # a digest tells series apart
