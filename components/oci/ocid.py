"""OCID parsing and kind checks (ocid1.<kind>.<realm>.<region>[.<future>].<unique id>)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.clouds.oci_regions import region_of_ocid_segment

_OCID = re.compile(
    r"^ocid1\.(?P<kind>[a-z0-9]+)\.(?P<realm>[a-z0-9]+)\.(?P<region>[a-z0-9-]*)"
    r"(?:\.(?P<future>[a-z0-9-]+))?\.(?P<unique>[a-z0-9]+)$"
)

KIND_LABELS = {
    "bootvolume": "boot volume",
    "bootvolumebackup": "boot volume backup",
    "compartment": "compartment",
    "instance": "instance",
    "key": "vault key",
    "tenancy": "tenancy",
    "vault": "vault",
    "vaultsecret": "vault secret",
    "volume": "block volume",
    "volumebackup": "block volume backup",
    "volumebackuppolicy": "volume backup policy",
    "volumegroup": "volume group",
    "volumegroupbackup": "volume group backup",
}


@dataclass(frozen=True)
class Ocid:
    """The parts of an Oracle Cloud ID."""

    kind: str
    realm: str
    region_segment: str
    unique: str

    @property
    def region(self) -> str | None:
        """The region identifier the OCID belongs to, when the region part is known."""
        return region_of_ocid_segment(self.region_segment) if self.region_segment else None


def parse_ocid(value: str) -> Ocid | None:
    """Parse an OCID; None when the text is not one."""
    m = _OCID.match(value)
    if m is None:
        return None
    return Ocid(m["kind"], m["realm"], m["region"], m["unique"])


def _label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def check_ocid(value: str, *kinds: str) -> str:
    """Return `value` when it is an OCID of one of `kinds`; raise ValueError saying what is wrong otherwise."""
    wanted = " or ".join(f"{_label(k)} (ocid1.{k}.…)" for k in kinds)
    ocid = parse_ocid(value)
    if ocid is None:
        msg = f"not an OCID: expected {_article(wanted)} {wanted}"
        raise ValueError(msg)
    if ocid.kind not in kinds:
        label = _label(ocid.kind)
        msg = f"is {_article(label)} {label} OCID; expected {_article(wanted)} {wanted}"
        raise ValueError(msg)
    return value
