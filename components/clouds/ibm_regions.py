"""IBM Cloud VPC regions, from the ibm_vpc SDK's own endpoint table (offline)."""

from __future__ import annotations

from ibm_vpc import VpcV1

IBM_REGIONS: frozenset[str] = frozenset(VpcV1.REGIONAL_ENDPOINTS)
"""Region names the pinned ibm_vpc SDK has public endpoints for (e.g. `us-south`)."""
