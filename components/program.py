"""The program's composition: topology sections -> components, and what the stack exports."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci

from components.config import OciSection, Topology, load_topology
from components.errors import TopologyError
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan

_OCI_AUTH = {
    "api_key": "ApiKey",
    "instance_principal": "InstancePrincipal",
    "resource_principal": "ResourcePrincipal",
    "security_token": "SecurityToken",
}


def load_stack_topology() -> Topology:
    """Read `backup-topology:topology` from the stack config; a mistake stops the program without a traceback."""
    try:
        return load_topology(pulumi.Config("backup-topology").get_object("topology"))
    except TopologyError as exc:
        raise pulumi.RunError(exc.render()) from None


def oci_provider(section: OciSection, region: str | None = None) -> pulumi_oci.Provider:
    """An explicit OCI provider for `region` (default: the section's), with the section's auth settings."""
    target = region or section.region
    return pulumi_oci.Provider(
        f"oci-{target}",
        region=target,
        auth=_OCI_AUTH[section.auth] if section.auth else None,
        config_file_profile=section.config_file_profile,
    )


def build(topology: Topology) -> dict[str, Any]:
    """Declare every component of the topology; returns the stack outputs to export."""
    exports: dict[str, Any] = {}
    if topology.oci is not None:
        provider = oci_provider(topology.oci)
        plans = {
            plan.name: BootVolumeBackupPlan(plan.name, plan, pulumi.ResourceOptions(providers=[provider])).outputs()
            for plan in topology.oci.boot_volume_plans
        }
        exports["oci_boot_volume_plans"] = plans
    return exports
