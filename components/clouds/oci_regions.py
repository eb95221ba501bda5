"""OCI region facts taken from the OCI SDK's own region table (offline, no credentials)."""

from __future__ import annotations

import difflib

from oci import regions_definitions

_SHORT_TO_REGION: dict[str, str] = dict(regions_definitions.REGIONS_SHORT_NAMES)
_REGION_TO_SHORT: dict[str, str] = {region: short for short, region in _SHORT_TO_REGION.items()}
_KNOWN: frozenset[str] = frozenset(regions_definitions.REGIONS) | frozenset(_SHORT_TO_REGION.values())


def is_known_region(name: str) -> bool:
    """True when `name` is a region identifier the pinned OCI SDK knows (e.g. `us-ashburn-1`)."""
    return name in _KNOWN


def closest_region(name: str) -> str | None:
    """The known region identifier nearest to a mistyped one, if any is close."""
    found = difflib.get_close_matches(name, sorted(_KNOWN), n=1, cutoff=0.75)
    return found[0] if found else None


def region_key(region: str) -> str | None:
    """The short key of a region identifier (`us-phoenix-1` -> `phx`), as the SDK's table has it; None when it has
    none."""
    return _REGION_TO_SHORT.get(region)


def region_of_ocid_segment(segment: str) -> str | None:
    """Map the region part of an OCID (`iad`, or `eu-frankfurt-1` for newer regions) to a region identifier."""
    if segment in _SHORT_TO_REGION:
        return _SHORT_TO_REGION[segment]
    return segment if segment in _KNOWN else None
