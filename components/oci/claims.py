"""Which component of the running program assigns a backup policy to a volume, and which volume group holds it.

OCI keeps one backup policy per volume and silently replaces an earlier assignment ("Managing Backup Policy
Assignments to Volumes", Policy-Based Backups); a volume in a volume group that has a policy has its assignment
managed by the group (the same section); and a volume can be in one volume group only ("Working with Volume Groups").
Two components of one stack that break one of these would undo each other in OCI, so the second is refused.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pulumi

from components.base import args_problem

Role = Literal["assigned", "grouped", "grouped-with-policy"]


@dataclass(frozen=True)
class _Claim:
    owner: str
    path: str
    role: Role


# Claims of the running program, per root stack (a new program run, a new root: claims never leak between runs).
_CLAIMS: weakref.WeakKeyDictionary[pulumi.Resource, dict[str, list[_Claim]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _what(volume_id: str) -> str:
    return "boot volume" if volume_id.startswith("ocid1.bootvolume.") else "block volume"


def _conflict(volume_id: str, held: _Claim, new: _Claim) -> str | None:
    """Why `new` cannot be claimed beside `held`, or None."""
    what = _what(volume_id)
    if held.owner == new.owner:
        return f"{what} already listed at {held.path}" if held.path != new.path else None
    if held.role == "assigned" and new.role == "assigned":
        return f"{what} is already assigned a policy by {held.owner}; OCI keeps one backup policy per volume"
    if held.role != "assigned" and new.role != "assigned":
        return f"{what} is already in the volume group of {held.owner}; OCI puts a volume in one group only"
    if "grouped-with-policy" in (held.role, new.role):
        grouped = held if held.role != "assigned" else new
        assigned = new if grouped is held else held
        return (
            f"{what} is in the volume group of {grouped.owner}, which has a backup policy (OCI has the group manage "
            f"the policy assignment of its volumes), and {assigned.owner} assigns it one: leave it out of one of them"
        )
    return None


def claimer(owner: str, path: str, role: Role) -> Callable[[str], None]:
    """A check that claims a volume for `owner` in `role`, refusing what OCI would not keep (see the module)."""
    new = _Claim(owner, path, role)

    def claim(volume_id: str) -> None:
        root = pulumi.runtime.get_root_resource()
        if root is None:
            return
        with _LOCK:
            claims = _CLAIMS.setdefault(root, {}).setdefault(volume_id, [])
            why = next((w for held in claims if (w := _conflict(volume_id, held, new)) is not None), None)
            if why is None and new not in claims:
                claims.append(new)
        if why is not None:
            raise args_problem(owner, path, why)

    return claim
