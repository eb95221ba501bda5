"""The program's composition: topology sections -> components, and what the stack exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_oci

from components.config import IbmSection, OciSection, Topology, VaultBackupSpec, load_topology
from components.config.base import given
from components.config.drills import RestoreDrillSpec
from components.config.oci import BackupObject, GivenPar, VaultRestoreSpec
from components.cross_region_copy import CrossRegionCopy
from components.errors import TopologyError
from components.ibm.backup_policy import IbmBackupPolicy, IbmBackupPolicyInputs
from components.ibm.snapshots import (
    SnapshotConsistencyGroup,
    SnapshotConsistencyGroupInputs,
    SnapshotWithClones,
    SnapshotWithClonesInputs,
)
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan
from components.oci.ocid import parse_ocid
from components.oci.vault_backup import VaultBackup, VaultBackupInputs, VaultRestore, VaultRestoreInputs
from components.oci.volume_backup_plan import VolumeBackupPlan, VolumePlanInputs
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan, VolumeGroupPlanInputs
from components.openstack.snapshot_backup import SnapshotBackup, SnapshotBackupInputs
from components.restore_drill import RestoreDrill, RestoreDrillInputs

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
    plans: dict[str, VolumeBackupPlan | VolumeGroupBackupPlan] = {}
    vault_backups: dict[str, VaultBackup] = {}
    if topology.oci is not None:
        plans, vault_backups, oci_exports = _oci(topology.oci, providers)
        exports.update(oci_exports)
    ibm_sources: dict[str, SnapshotWithClones | SnapshotConsistencyGroup] = {}
    if topology.ibm is not None:
        ibm_sources, ibm_exports = _ibm(topology.ibm)
        exports.update(ibm_exports)
    snapshot_backups: dict[str, SnapshotBackup] = {}
    if topology.openstack is not None and topology.openstack.snapshot_backups:
        section = topology.openstack
        snapshot_backups = {
            spec.name: SnapshotBackup(
                spec.name,
                SnapshotBackupInputs.model_validate(
                    {**spec.fields(), "cloud": section.cloud, "region_name": section.region_name}
                ),
            )
            for spec in section.snapshot_backups
        }
        exports["openstack_snapshot_backups"] = {name: c.outputs() for name, c in snapshot_backups.items()}
    oci_section = topology.oci
    access = (
        {
            "region": oci_section.region,
            "auth": oci_section.auth,
            "profile": oci_section.config_file_profile,
            "blockstorage_endpoint": oci_section.blockstorage_endpoint,
        }
        if oci_section is not None
        else {}
    )
    sources = _DrillSources(snapshot_backups, ibm_sources, plans, vault_backups, access)
    drills = {
        spec.name: RestoreDrill(
            spec.name,
            _drill_args(spec, sources),
            # a volume or volume group drill is a native OCI resource: the stack's provider of the plan's region
            pulumi.ResourceOptions(providers=[providers.get(topology.oci.region)])
            if (spec.oci is not None or spec.oci_volume_group is not None) and topology.oci is not None
            else None,
        ).outputs()
        for spec in topology.restore_drills
    }
    if drills:
        exports["restore_drills"] = drills
    copies = _copies(topology, ibm_sources, plans, providers)
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


def _oci(
    section: OciSection, providers: _OciProviders
) -> tuple[dict[str, VolumeBackupPlan | VolumeGroupBackupPlan], dict[str, VaultBackup], dict[str, Any]]:
    """The OCI section's components; the OCI provider (and so its plugin) only where a native resource needs it."""
    exports: dict[str, Any] = {}

    def on_provider() -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=[providers.get(section.region)])

    # Each plan lists and prunes its manual backups' generations through the Block Volume API of the section's region.
    access = {
        "region": section.region,
        "auth": section.auth,
        "profile": section.config_file_profile,
        "blockstorage_endpoint": section.blockstorage_endpoint,
    }
    boot_plans = {
        plan.name: BootVolumeBackupPlan(
            plan.name, VolumePlanInputs.model_validate({**plan.fields(), **access}), on_provider()
        )
        for plan in section.boot_volume_plans
    }
    exports["oci_boot_volume_plans"] = {name: plan.outputs() for name, plan in boot_plans.items()}
    plans: dict[str, VolumeBackupPlan | VolumeGroupBackupPlan] = dict(boot_plans)
    volume_plans = {
        plan.name: VolumeBackupPlan(
            plan.name, VolumePlanInputs.model_validate({**plan.fields(), **access}), on_provider()
        )
        for plan in section.volume_plans
    }
    if volume_plans:
        exports["oci_volume_plans"] = {name: plan.outputs() for name, plan in volume_plans.items()}
    group_plans = {
        plan.name: VolumeGroupBackupPlan(
            plan.name, VolumeGroupPlanInputs.model_validate({**plan.fields(), **access}), on_provider()
        )
        for plan in section.volume_group_plans
    }
    if group_plans:
        exports["oci_volume_group_plans"] = {name: plan.outputs() for name, plan in group_plans.items()}
    plans.update(volume_plans)
    plans.update(group_plans)
    backups: dict[str, VaultBackup] = {}
    if section.vault_backups:
        # A bucket has one replication policy: the entry declaring it first, then the entries writing to the same
        # bucket, which wait for its policy (it copies only the objects written after it exists).
        replicating = {
            spec.destination.stack_bucket(): spec.name
            for spec in section.vault_backups
            if spec.destination.replica() is not None
        }
        order = sorted(enumerate(section.vault_backups), key=lambda item: item[1].destination.replica() is None)
        for n, spec in order:
            by = replicating.get(spec.destination.stack_bucket())
            backups[spec.name] = VaultBackup(
                spec.name,
                _vault_backup_args(section, n, spec),
                # a PAR and a replication policy are native resources, in the bucket's region
                on_provider() if spec.destination.par is not None or spec.destination.replicate_to else None,
                replicated_by=backups[by] if by is not None and by != spec.name else None,
            )
        backups = {spec.name: backups[spec.name] for spec in section.vault_backups}
        # PAR URLs are secrets: exported on their own, so the rest of each backup's outputs stays readable.
        exports["oci_vault_backups"] = {
            name: {k: v for k, v in b.outputs().items() if k != "par_uris"} for name, b in backups.items()
        }
        par_uris = {name: b.par_uris for name, b in backups.items() if b.par_uris}
        if par_uris:
            exports["oci_vault_backup_par_uris"] = pulumi.Output.secret(par_uris)
    if section.vault_restores:
        exports["oci_vault_restores"] = {
            spec.name: VaultRestore(spec.name, _vault_restore_args(section, n, spec), on_provider()).outputs()
            for n, spec in enumerate(section.vault_restores)
        }
    return plans, backups, exports


def _ibm(section: IbmSection) -> tuple[dict[str, SnapshotWithClones | SnapshotConsistencyGroup], dict[str, Any]]:
    exports: dict[str, Any] = {}
    where = {"region": section.region, "endpoint": section.endpoint(section.region)}
    sources: dict[str, SnapshotWithClones | SnapshotConsistencyGroup] = {}
    pricing = {"clone_zone_hourly_rate": section.clone_zone_hourly_rate, "currency": section.currency}
    for spec in section.snapshots:
        args = {
            **spec.fields(),
            **where,
            **pricing,
            "resource_group_id": spec.resource_group_id or section.resource_group_id,
            "on_demand_tag": section.on_demand_tag,
        }
        sources[spec.name] = SnapshotWithClones(spec.name, SnapshotWithClonesInputs.model_validate(args))
    if section.snapshots:
        exports["ibm_snapshots"] = {spec.name: sources[spec.name].outputs() for spec in section.snapshots}
    for group in section.consistency_groups:
        args = {
            **group.fields(),
            **where,
            "resource_group_id": group.resource_group_id or section.resource_group_id,
            "on_demand_tag": section.on_demand_tag,
        }
        sources[group.name] = SnapshotConsistencyGroup(group.name, SnapshotConsistencyGroupInputs.model_validate(args))
    if section.consistency_groups:
        exports["ibm_consistency_groups"] = {g.name: sources[g.name].outputs() for g in section.consistency_groups}
    policies = {
        policy.name: IbmBackupPolicy(
            policy.name,
            IbmBackupPolicyInputs.model_validate(
                {
                    **policy.fields(),
                    **where,
                    **pricing,
                    "resource_group_id": policy.resource_group_id or section.resource_group_id,
                }
            ),
        )
        for policy in section.backup_policies
    }
    if policies:
        exports["ibm_backup_policies"] = {name: policy.outputs() for name, policy in policies.items()}
    return sources, exports


def _copies(
    topology: Topology,
    ibm_sources: dict[str, SnapshotWithClones | SnapshotConsistencyGroup],
    plans: dict[str, VolumeBackupPlan | VolumeGroupBackupPlan],
    providers: _OciProviders,
) -> dict[str, Any]:
    copies: dict[str, Any] = {}
    for copy in topology.copies:
        args: dict[str, Any] = {
            "name": copy.name,
            "timeouts": copy.timeouts,
            "retention": copy.retention,
            "delete_on_removal": copy.delete_on_removal,
        }
        if copy.ibm is not None and topology.ibm is not None:
            spec = copy.ibm
            args["destination_region"] = spec.destination_region
            args["ibm"] = {
                "source": ibm_sources[spec.source],
                "encryption_key_crn": spec.encryption_key_crn,
                "resource_group_id": spec.resource_group_id,
                "destination_endpoint": topology.ibm.endpoint(spec.destination_region),
                "allow_source_over_10tb": spec.allow_source_over_10tb,
            }
        elif copy.oci is not None:
            spec_oci = copy.oci
            args["destination_region"] = spec_oci.destination_region
            source: dict[str, Any]
            if spec_oci.source is not None:
                source = {"source": plans[spec_oci.source.plan], "manual_backup": spec_oci.source.manual_backup}
            else:
                parsed = parse_ocid(given(spec_oci.source_backup_id) or "")
                region = parsed.region if parsed is not None else None
                oci_region = topology.oci.region if topology.oci is not None else None
                source = {"source_backup_id": spec_oci.source_backup_id, "source_region": region or oci_region}
            args["oci"] = {
                **source,
                "kms_key_id": spec_oci.kms_key_id,
                "display_name": spec_oci.display_name,
                "destination_provider": providers.get(spec_oci.destination_region),
            }
        else:
            continue
        copies[copy.name] = CrossRegionCopy(copy.name, args).outputs()
    return copies


@dataclass(frozen=True)
class _DrillSources:
    """The components a drill can name, by their topology names."""

    snapshot_backups: dict[str, SnapshotBackup]
    ibm: dict[str, SnapshotWithClones | SnapshotConsistencyGroup]
    plans: dict[str, VolumeBackupPlan | VolumeGroupBackupPlan]
    vault_backups: dict[str, VaultBackup]
    access: dict[str, Any]
    """How the OCI section reaches Block Volume (region, auth, profile, blockstorage_endpoint)."""


def _drill_args(spec: RestoreDrillSpec, sources: _DrillSources) -> RestoreDrillInputs:
    common: dict[str, Any] = {
        "name": spec.name,
        "trigger": spec.trigger,
        "expect": spec.expect,
        "keep_scratch": spec.keep_scratch,
        "timeouts": spec.timeouts,
    }
    if spec.ibm is not None:
        ibm = spec.ibm
        source = sources.ibm[ibm.snapshot]
        return RestoreDrillInputs(
            **common,
            ibm={
                "source": source,
                "zone": ibm.zone,
                "profile": ibm.profile,
                "resource_group_id": source.resource_group_id,
            },
        )
    if spec.oci_volume_group is not None:
        group = spec.oci_volume_group
        return RestoreDrillInputs(
            **common,
            oci_volume_group={
                "source": sources.plans[group.plan] if group.plan is not None else None,
                "manual_backup": group.manual_backup,
                "backup_id": group.backup_id,
                "availability_domain": group.availability_domain,
                "compartment_id": group.compartment_id,
                **(sources.access if group.backup_id is not None else {}),
            },
        )
    if spec.oci is not None:
        oci = spec.oci
        return RestoreDrillInputs(
            **common,
            oci={
                "source": sources.plans[oci.plan] if oci.plan is not None else None,
                "manual_backup": oci.manual_backup,
                "backup_id": oci.backup_id,
                "availability_domain": oci.availability_domain,
                "compartment_id": oci.compartment_id,
                "kms_key_id": oci.kms_key_id,
            },
        )
    if spec.oci_vault is not None:
        vault = spec.oci_vault
        return RestoreDrillInputs(
            **common,
            oci_vault={
                "source": sources.vault_backups[vault.vault_backup],
                "file": vault.file,
                "region": vault.region,
                "kms_endpoint": vault.kms_endpoint,
                "objectstorage_endpoint": vault.objectstorage_endpoint,
                "compartment_id": vault.compartment_id,
                "expect_keys": vault.expect_keys,
            },
        )
    assert spec.openstack is not None  # the model takes exactly one kind
    point = spec.openstack
    return RestoreDrillInputs(
        **common,
        openstack={
            "source": sources.snapshot_backups[point.snapshot_backup],
            "restore_point": point.restore_point,
            "availability_zone": point.availability_zone,
            "volume_type": point.volume_type,
        },
    )


def _vault_backup_args(section: OciSection, index: int, spec: VaultBackupSpec) -> VaultBackupInputs:
    destination = spec.destination
    given = destination.par_uri
    if given is not None and given.uri_config_key is not None:
        key_path = f"oci.vault_backups[{index}].destination.par_uri.uri_config_key"
        secret = secret_config(given.uri_config_key, key_path)
        destination = destination.model_copy(update={"par_uri": GivenPar(uri=secret)})
    return VaultBackupInputs.model_validate(
        {
            **spec.fields(),
            "destination": destination,
            "region": section.region,
            "auth": section.auth,
            "profile": section.config_file_profile,
            "kms_endpoint": section.kms_endpoint,
            "objectstorage_endpoint": section.objectstorage_endpoint,
        }
    )


def _vault_restore_args(section: OciSection, index: int, spec: VaultRestoreSpec) -> VaultRestoreInputs:
    """The restore with every PAR URL given by a config key read from the stack's secrets, and where the backups'
    metadata is read (the section's region and Object Storage endpoint)."""

    def resolved(source: BackupObject, at: str) -> BackupObject:
        given = source.par_uri
        if given is None or given.uri_config_key is None:
            return source
        secret = secret_config(given.uri_config_key, f"{at}.par_uri.uri_config_key")
        return source.model_copy(update={"par_uri": GivenPar(uri=secret)})

    at = f"oci.vault_restores[{index}]"
    vault = spec.vault
    if vault is not None:
        vault = vault.model_copy(update={"source": resolved(vault.source, f"{at}.vault.source")})
    keys = [
        k.model_copy(update={"source": resolved(k.source, f"{at}.keys[{i}].source")}) for i, k in enumerate(spec.keys)
    ]
    return VaultRestoreInputs.model_validate(
        {
            **spec.fields(),
            "vault": vault,
            "keys": keys,
            "region": section.region,
            "auth": section.auth,
            "profile": section.config_file_profile,
            "objectstorage_endpoint": section.objectstorage_endpoint,
        }
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
