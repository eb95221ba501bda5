"""Heuristics for names that look like they carry confidential data (clouds ask not to put any in names)."""

from __future__ import annotations

import re

_CHECKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "an e-mail address"),
    (re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"), "an IP address"),
    (re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"), "a social security number"),
    (re.compile(r"(?<!\d)\d{9,}(?!\d)"), "a long number (account or card number)"),
    (
        re.compile(
            r"(?<![a-z])(password|passwd|passphrase|pwd|secret|token|credentials?|"
            r"api[-_ ]?key|private[-_ ]?key|access[-_ ]?key)(?![a-z])",
            re.IGNORECASE,
        ),
        "a credential word",
    ),
)


def confidential_hint(text: str) -> str | None:
    """What in `text` looks confidential (e.g. 'an e-mail address'), or None when nothing does."""
    for pattern, what in _CHECKS:
        if pattern.search(text):
            return what
    return None


def check_not_confidential(text: str) -> str:
    """Return `text`, or raise ValueError when it looks like it carries confidential data."""
    what = confidential_hint(text)
    if what is not None:
        msg = f"looks like it carries confidential data ({what}); names are visible to everyone with read access"
        raise ValueError(msg)
    return text
