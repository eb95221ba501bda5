"""The program's composition: topology sections -> components, and what the stack exports."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci

from components.config import IbmSection, OciSection, Topology, VaultBackupSpec, load_topology
from components.cross_region_copy import CrossRegionCopy
from components.errors import TopologyError
from components.ibm.snapshots import IbmPlacement, SnapshotConsistencyGroup, SnapshotWithClones
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan
from components.oci.vault_backup import VaultBackup, VaultBackupArgs, VaultRestore
from components.openstack.snapshot_backup import OpenStackPlacement, SnapshotBackup

PROJECT = "backup-topology"

_OCI_AUTH = {
    "api_key": "ApiKey",
    "instance_principal": "InstancePrincipal",
    "resource_principal": "ResourcePrincipal",
    "security_token": "SecurityToken",
}


def load_stack_topology() -> Topology:
    """Read `backup-topology:topology` from the stack config; a mistake stops the program without a traceback."""
    try:
        return load_topology(pulumi.Config(PROJECT).get_object("topology"))
    except TopologyError as exc:
        raise pulumi.RunError(exc.render()) from None


def oci_provider(section: OciSection | None, region: str | None = None) -> pulumi_oci.Provider:
    """An explicit OCI provider for `region` (default: the section's), with the section's auth settings."""
    target = region or (section.region if section is not None else None)
    if target is None:
        msg = "an OCI provider needs a region"
        raise ValueError(msg)
    auth = section.auth if section is not None else None
    return pulumi_oci.Provider(
        f"oci-{target}",
        region=target,
        auth=_OCI_AUTH[auth] if auth else None,
        config_file_profile=section.config_file_profile if section is not None else None,
    )


def build(topology: Topology) -> dict[str, Any]:
    """Declare every component of the topology; returns the stack outputs to export."""
    exports: dict[str, Any] = {}
    providers = _OciProviders(topology.oci)
    if topology.oci is not None:
        exports.update(_oci(topology.oci, providers))
    snapshots: dict[str, SnapshotWithClones] = {}
    if topology.ibm is not None:
        snapshots, ibm_exports = _ibm(topology.ibm)
        exports.update(ibm_exports)
    if topology.openstack is not None and topology.openstack.snapshot_backups:
        where = OpenStackPlacement(cloud=topology.openstack.cloud, region_name=topology.openstack.region_name)
        exports["openstack_snapshot_backups"] = {
            spec.name: SnapshotBackup(spec.name, spec, where).outputs() for spec in topology.openstack.snapshot_backups
        }
    copies = _copies(topology, snapshots, providers)
    if copies:
        exports["copies"] = copies
    return exports


class _OciProviders:
    """One explicit OCI provider per region, made when first needed."""

    def __init__(self, section: OciSection | None) -> None:
        self._section = section
        self._made: dict[str, pulumi_oci.Provider] = {}

    def get(self, region: str) -> pulumi_oci.Provider:
        if region not in self._made:
            self._made[region] = oci_provider(self._section, region)
        return self._made[region]


def _oci(section: OciSection, providers: _OciProviders) -> dict[str, Any]:
    """The OCI section's components; the OCI provider (and so its plugin) only where a native resource needs it."""
    exports: dict[str, Any] = {}

    def on_provider() -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=[providers.get(section.region)])

    exports["oci_boot_volume_plans"] = {
        plan.name: BootVolumeBackupPlan(plan.name, plan, on_provider()).outputs() for plan in section.boot_volume_plans
    }
    if section.vault_backups:
        backups = {
            spec.name: VaultBackup(
                spec.name,
                _vault_backup_args(section, n, spec),
                on_provider() if spec.destination.par is not None else None,  # a PAR is a native resource
            )
            for n, spec in enumerate(section.vault_backups)
        }
        # PAR URLs are secrets: exported on their own, so the rest of each backup's outputs stays readable.
        exports["oci_vault_backups"] = {
            name: {k: v for k, v in b.outputs().items() if k != "par_uris"} for name, b in backups.items()
        }
        par_uris = {name: b.par_uris for name, b in backups.items() if b.par_uris}
        if par_uris:
            exports["oci_vault_backup_par_uris"] = pulumi.Output.secret(par_uris)
    if section.vault_restores:
        exports["oci_vault_restores"] = {
            spec.name: VaultRestore(spec.name, spec, on_provider()).outputs() for spec in section.vault_restores
        }
    return exports


def _ibm(section: IbmSection) -> tuple[dict[str, SnapshotWithClones], dict[str, Any]]:
    exports: dict[str, Any] = {}
    placement = ibm_placement(section, section.region)
    snapshots = {spec.name: SnapshotWithClones(spec.name, spec, placement) for spec in section.snapshots}
    if snapshots:
        exports["ibm_snapshots"] = {name: s.outputs() for name, s in snapshots.items()}
    if section.consistency_groups:
        exports["ibm_consistency_groups"] = {
            spec.name: SnapshotConsistencyGroup(spec.name, spec, placement).outputs()
            for spec in section.consistency_groups
        }
    return snapshots, exports


def _copies(topology: Topology, snapshots: dict[str, SnapshotWithClones], providers: _OciProviders) -> dict[str, Any]:
    copies: dict[str, Any] = {}
    for copy in topology.copies:
        if copy.ibm is not None and topology.ibm is not None:
            made = CrossRegionCopy(
                copy.name,
                copy,
                ibm_source=snapshots[copy.ibm.snapshot],
                ibm_source_placement=ibm_placement(topology.ibm, topology.ibm.region),
                ibm_destination_endpoint=topology.ibm.endpoint(copy.ibm.destination_region),
            )
        elif copy.oci is not None:
            made = CrossRegionCopy(
                copy.name,
                copy,
                oci_destination_provider=providers.get(copy.oci.destination_region),
                oci_source_region=topology.oci.region if topology.oci is not None else None,
            )
        else:
            continue
        copies[copy.name] = made.outputs()
    return copies


def ibm_placement(section: IbmSection, region: str) -> IbmPlacement:
    """Where IBM resources of `region` are made, with the section's endpoint, resource group and rate."""
    return IbmPlacement(
        region=region,
        endpoint=section.endpoint(region),
        resource_group_id=section.resource_group_id,
        clone_zone_hourly_rate=section.clone_zone_hourly_rate,
        currency=section.currency,
    )


def _vault_backup_args(section: OciSection, index: int, spec: VaultBackupSpec) -> VaultBackupArgs:
    given = spec.destination.par_uri
    return VaultBackupArgs(
        spec=spec,
        region=section.region,
        auth=section.auth,
        profile=section.config_file_profile,
        kms_endpoint=section.kms_endpoint,
        objectstorage_endpoint=section.objectstorage_endpoint,
        par_uri=secret_config(given.uri_config_key, f"oci.vault_backups[{index}].destination.par_uri.uri_config_key")
        if given is not None
        else None,
    )


def secret_config(key: str, field: str) -> pulumi.Output[str]:
    """A secret stack config value (`key` or `namespace:key`), which must be stored encrypted (`secure:`).

    A missing key, or a value written in plain text in the stack file, stops the program with one clear line.
    """
    namespace, _, name = key.rpartition(":")
    full_key = f"{namespace or PROJECT}:{name}"
    value = pulumi.Config(namespace or PROJECT).get_secret(name)
    if value is None:
        msg = f"{field}: the stack config has no key {full_key} (set it with `pulumi config set --secret {key} <url>`)"
        raise pulumi.RunError(msg)
    if not pulumi.runtime.is_config_secret(full_key):
        msg = (
            f"{field}: the stack config key {full_key} holds its value in plain text in the stack file; a PAR URL "
            f"grants access to the bucket: store it encrypted with `pulumi config set --secret {key} <url>`"
        )
        raise pulumi.RunError(msg)
    return value
