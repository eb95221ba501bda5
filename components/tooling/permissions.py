"""The least-privilege permissions a stack needs per cloud (`python -m components.plan --permissions`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.clouds.oci_regions import region_key
from components.config import Topology
from components.config.base import given
from components.config.ibm import IbmSection
from components.config.oci import (
    GroupManualBackup,
    ManualBackup,
    OciSection,
    VaultBackupSpec,
    VolumeGroupPlan,
    VolumePlan,
)
from components.tooling.mock_runtime import Registered
from policies.rules.base import REPLICATION_POLICY

DEFAULT_OCI_SUBJECT = "group <group>"
"""Who runs the stack in OCI policy syntax: `group <name>`, `dynamic-group <name>` (instance principals), ..."""
_KEY_CRN = re.compile(r"crn:v1:[^:]+:[^:]+:(?P<service>kms|hs-crypto):[^:]+:[^:]*:(?P<instance>[^:]+):key:")
_IBM_ID = re.compile(r"^r\d{3}-[0-9a-z-]+$")
"""An IBM VPC resource ID (`r006-...`); anything else in `covers` is a volume's name."""
_IBM_ROLES = ("Viewer", "Operator", "Editor")
"""IBM platform roles, each holding the actions of the ones before it (IAM roles and actions, Block Storage for VPC
and Block Storage Snapshots for VPC: the actions of Viewer are Operator's, Operator's are Editor's)."""


@dataclass
class Grant:
    """One statement, role or authorization to give, and the components that need it (and why)."""

    text: str
    needed_by: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The grant as JSON-ready data."""
        return {"grant": self.text, "needed_by": list(self.needed_by)}


@dataclass
class Section:
    """The grants of one cloud given to one kind of principal."""

    key: str
    title: str
    grants: list[Grant]


@dataclass
class Permissions:
    """Every grant the stack needs, by cloud and principal, and what the topology cannot say offline."""

    sections: list[Section]
    notes: list[str]

    def statements(self) -> list[str]:
        """Every grant's text, section by section."""
        return [g.text for s in self.sections for g in s.grants]

    def to_json(self) -> dict[str, Any]:
        """The `--permissions --json` document."""
        return {
            "sections": [
                {"key": s.key, "title": s.title, "grants": [g.to_dict() for g in s.grants]} for s in self.sections
            ],
            "notes": list(self.notes),
        }


def permissions(
    topology: Topology, resources: Sequence[Registered] = (), *, oci_subject: str = DEFAULT_OCI_SUBJECT
) -> Permissions:
    """The permissions `pulumi up`, `refresh` and `destroy` of the topology need, and no more.

    `resources` are what the program registers (the offline plan's simulation): a bucket replication policy is one
    of them, whoever makes it.
    """
    oci = _Oci(oci_subject)
    ibm = _Ibm()
    openstack = _Grants()
    if topology.oci is not None:
        _oci_plans(topology.oci, oci)
        _oci_vault_backups(topology.oci, oci)
        _oci_vault_restores(topology.oci, oci)
        _oci_replications(topology.oci, resources, oci)
    _oci_copies(topology, oci)
    _oci_drills(topology, oci)
    if topology.ibm is not None:
        _ibm_section(topology.ibm, topology, ibm)
    _openstack(topology, openstack)
    sections = [
        Section(
            "oci",
            f"OCI IAM policy statements for the principal that runs the stack ({oci_subject})",
            oci.user.grants(),
        ),
        Section("oci_services", "OCI IAM policy statements for OCI services", oci.services.grants()),
        Section(
            "ibm",
            "IBM Cloud IAM access policies for the user or service ID that runs the stack (VPC Infrastructure "
            "Services, service name `is`)",
            ibm.access(),
        ),
        Section(
            "ibm_authorizations", "IBM Cloud service-to-service authorizations (account)", ibm.authorizations.grants()
        ),
        Section("openstack", "OpenStack Keystone roles of the user that runs the stack", openstack.grants()),
    ]
    notes = sorted(oci.placeholders)
    if oci_subject == DEFAULT_OCI_SUBJECT and (oci.user.grants() or oci.services.grants()):
        notes.insert(
            0,
            "<group>: the group that runs the stack (`dynamic-group <name>` for instance principals): give it, or "
            "pass --oci-subject",
        )
    if any(DEFAULT_GROUP in g.text for g in ibm.access()):
        notes.append(
            f"{DEFAULT_GROUP}: the topology names no resource group, so IBM Cloud uses the default: give its ID"
        )
    return Permissions([s for s in sections if s.grants], notes)


class _Grants:
    """Grants by text, in the order first needed, each with every reason it is needed."""

    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}

    def add(self, text: str, why: str) -> None:
        grant = self._grants.setdefault(text, Grant(text))
        if why not in grant.needed_by:
            grant.needed_by.append(why)

    def grants(self) -> list[Grant]:
        return list(self._grants.values())


# --- OCI -----------------------------------------------------------------------------------------
# Statements follow "Policy Syntax" (Allow <subject> to <verb> <resource-type> in <location> where <conditions>;
# a location `tenancy`, `compartment <name>` or `compartment id <ocid>`). Verbs and resource-types are those of
# "Details for the Core Services" (Block Volume: volumes, boot-volume-backups, volume-backups, volume-groups,
# volume-group-backups, backup-policies, backup-policy-assignments), "Details for the Vault Service" (vaults, keys,
# key-delegate) and "Details for Object Storage and Archive Storage" (buckets, objects). Where one verb would grant
# more than the stack uses, the statement grants `manage` limited by `request.permission` to the permissions the
# stack's API calls need ("Permissions Required for Each API Operation" of the same pages), as Oracle's "Common
# Policies" do. Policies are global: a statement holds in every region of the tenancy.


@dataclass
class _OciStatement:
    verb: str
    resource: str
    location: str
    conditions: tuple[str, ...]
    permissions: set[str] | None


class _OciStatements:
    """OCI statements of one subject; those differing only in their permission lists are merged."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self._statements: dict[tuple[Any, ...], tuple[_OciStatement, list[str]]] = {}

    def allow(
        self,
        verb: str,
        resource: str,
        location: str,
        why: str,
        *,
        permissions: Iterable[str] | None = None,
        where: Iterable[str] = (),
        subject: str | None = None,
    ) -> None:
        conditions = tuple(where)
        # A permission list is a `manage` statement limited to those permissions: the verb holding all of them.
        verb = "manage" if permissions is not None else verb
        key = (subject or self.subject, verb, resource, location, conditions)
        statement, reasons = self._statements.setdefault(
            key, (_OciStatement(verb, resource, location, conditions, set()), [])
        )
        if permissions is None:
            statement.permissions = None
        elif statement.permissions is not None:
            statement.permissions.update(permissions)
        if why not in reasons:
            reasons.append(why)

    def grants(self) -> list[Grant]:
        found = []
        for (subject, *_), (statement, reasons) in self._statements.items():
            text = f"Allow {subject} to {statement.verb} {statement.resource} in {statement.location}"
            text += _where(statement.conditions, statement.permissions)
            found.append(Grant(text, reasons))
        return found


def _where(conditions: Sequence[str], permissions: set[str] | None) -> str:
    parts = list(conditions)
    if permissions:
        asked = [f"request.permission='{p}'" for p in sorted(permissions)]
        parts.append(asked[0] if len(asked) == 1 else "any {" + ", ".join(asked) + "}")
    if not parts:
        return ""
    return " where " + (parts[0] if len(parts) == 1 else "all {" + ", ".join(parts) + "}")


class _Oci:
    """The statements for the principal that runs the stack and for OCI services, and the locations left open."""

    def __init__(self, subject: str) -> None:
        self.user = _OciStatements(subject)
        self.services = _OciStatements("service")
        self.placeholders: set[str] = set()

    def compartment(self, ocid: Any, unknown: str) -> str:
        """`compartment id <ocid>` (`tenancy` for the tenancy's OCID), or a placeholder saying which one to give."""
        value = given(ocid) if ocid is not None else None
        if value is None:
            self.placeholders.add(f"<{unknown}>: the topology gives its resources' OCIDs only: name the compartment")
            return f"compartment <{unknown}>"
        return "tenancy" if str(value).startswith("ocid1.tenancy.") else f"compartment id {value}"

    def key(self, key_id: Any, why: str) -> None:
        """A Vault key that Block Volume encrypts with on the caller's behalf.

        Common Policies, "Let a user group delegate key usage in a compartment" (`use key-delegate` for the caller)
        and "Let Block Volume, Object Storage, ... services encrypt and decrypt volumes, volume backups" (`use keys`
        for `service blockstorage`); both limited to the key by `target.key.id` ("Details for the Vault Service",
        Supported Variables), so the key's compartment need not be known.
        """
        if key_id is None:
            return
        only = (f"target.key.id='{given(key_id)}'",)
        self.user.allow("use", "key-delegate", "tenancy", why, where=only)
        self.services.allow("use", "keys", "tenancy", why, where=only, subject="service blockstorage")

    def tags(self, defined_tags: Any, why: str) -> None:
        """Defined tags need `use tag-namespaces` ("Backing Up a Boot Volume", step 6: "To apply a defined tag, you
        must have permissions to use the tag namespace"), limited to the namespace by `target.tag-namespace.name`
        (as Common Policies does for `oracle-tags`)."""
        for namespace in sorted({str(k).split(".", 1)[0] for k in (given(defined_tags) or {})}):
            where = (f"target.tag-namespace.name='{namespace}'",)
            self.user.allow("use", "tag-namespaces", "tenancy", why, where=where)


def _volumes_of(oci: _Oci, plan: VolumePlan | VolumeGroupPlan, kind: str = "boot volumes") -> str:
    return oci.compartment(None, f"compartment of the {kind} of plan {plan.name}")


_PLAN_KINDS = {"boot_volume_plans": "BootVolumeBackupPlan", "volume_plans": "VolumeBackupPlan"}
# Permissions of each kind of backup (Core Services, "Permissions Required for Each API Operation"):
# Create<Kind>Backup needs _CREATE (and VOLUME_WRITE: `use volumes`), Get/List _INSPECT (and VOLUME_INSPECT), Update
# _UPDATE, Delete _DELETE (and VOLUME_INSPECT); a volume group backup's Create also needs VOLUME_GROUP_INSPECT and the
# _CREATE of its volume backups, its Delete the _DELETE of its volume backups.
_BACKUP_TYPES = {
    "boot_volume": "boot-volume-backups",
    "volume": "volume-backups",
    "volume_group": "volume-group-backups",
}
_BACKUP_PERMISSION = {
    "boot_volume": "BOOT_VOLUME_BACKUP",
    "volume": "VOLUME_BACKUP",
    "volume_group": "VOLUME_GROUP_BACKUP",
}


def _deletes(backup: ManualBackup | GroupManualBackup) -> bool:
    """Whether the stack deletes the backup's generations: by retention, or on removal."""
    return backup.retention is not None or backup.delete_on_removal


def _backup_statement(oci: _Oci, kind: str, where: str, why: str, deletes: bool, *extra: str) -> None:
    stem = _BACKUP_PERMISSION[kind]
    wanted = {f"{stem}_CREATE", f"{stem}_INSPECT", f"{stem}_UPDATE", *extra}
    if deletes:
        wanted.add(f"{stem}_DELETE")
    oci.user.allow("manage", _BACKUP_TYPES[kind], where, why, permissions=wanted)


def _policy_statements(oci: _Oci, who: str, plan: VolumePlan | VolumeGroupPlan, name: str) -> None:
    home = oci.compartment(plan.compartment_id, "")
    oracle = plan.oracle_policy if isinstance(plan, VolumePlan) else None
    if plan.policy is not None:
        why = f"{who}: its volume backup policy {name} (create, update, delete)"
        oci.user.allow("manage", "backup-policies", home, why)
        oci.tags(plan.policy.defined_tags, f"{who}: the defined tags of its policy")
    elif oracle is not None or plan.policy_id is not None:
        # Oracle-defined policies belong to no compartment of the tenancy's, and an existing policy's compartment
        # is not in the topology: reading policies is `inspect backup-policies` (Core Services, backup-policies).
        which = f"Oracle-defined policy {oracle}" if oracle else f"policy {plan.policy_id}"
        oci.user.allow("inspect", "backup-policies", "tenancy", f"{who}: find the {which} it assigns")


def _oci_plans(section: OciSection, oci: _Oci) -> None:
    for key, plan in section.volume_plans_all():
        who = f"{_PLAN_KINDS[key]} {plan.name}"
        _policy_statements(oci, who, plan, plan.display_name)
        for listed, kind in (("boot_volumes", "boot volumes"), ("block_volumes", "block volumes")):
            if not getattr(plan, listed):
                continue
            volumes = _volumes_of(oci, plan, kind)
            # CreateVolumeBackupPolicyAssignment: `manage backup-policy-assignments`; reading a volume's assignment
            # also needs `inspect volumes` (Core Services, backup-policy-assignments).
            why = f"{who}: assign its policy to its {kind}, and remove the assignments"
            oci.user.allow("manage", "backup-policy-assignments", volumes, why)
            oci.user.allow("inspect", "volumes", volumes, why)
            oci.key(plan.xrc_kms_key_id, f"{who}: its cross-region copies are encrypted with xrc_kms_key_id")
        for backup in plan.manual_backups:
            why = f"{who}: manual backup {backup.name}"
            where = oci.compartment(backup.compartment_id or plan.compartment_id, "")
            kind = "boot volumes" if backup.kind == "boot_volume" else "block volumes"
            # Its Generations record lists the backups of the volume (and, by retention or on removal, deletes some).
            _backup_statement(oci, backup.kind, where, why + _fate(backup), _deletes(backup))
            volumes = _volumes_of(oci, plan, kind)
            oci.user.allow("use", "volumes", volumes, f"{why} (a backup writes from its volume)")
            oci.key(backup.kms_key_id, f"{why}: encrypted with kms_key_id")
            oci.tags(backup.defined_tags, f"{why}: its defined tags")
    for group in section.volume_group_plans:
        _oci_group_plan(oci, group)


def _fate(backup: ManualBackup | GroupManualBackup) -> str:
    if backup.retention is not None:
        return " (list its generations, delete those beyond retention)"
    if backup.delete_on_removal:
        return " (list its generations, delete it on removal)"
    return " (list its generations)"


def _oci_group_plan(oci: _Oci, group: VolumeGroupPlan) -> None:
    who = f"VolumeGroupBackupPlan {group.name}"
    home = oci.compartment(group.compartment_id, "")
    _policy_statements(oci, who, group, group.policy_name)
    volumes = _volumes_of(oci, group, "volumes")
    if group.volumes:
        # CreateVolumeGroup from a list of volumes: VOLUME_GROUP_CREATE and VOLUME_INSPECT; UpdateVolumeGroup (its
        # members): VOLUME_GROUP_UPDATE and VOLUME_INSPECT; Get and Delete: _INSPECT, _DELETE.
        wanted = {"VOLUME_GROUP_CREATE", "VOLUME_GROUP_INSPECT", "VOLUME_GROUP_UPDATE", "VOLUME_GROUP_DELETE"}
        why = f"{who}: its volume group {group.group_name} of {len(group.volumes)} volumes"
        oci.user.allow("manage", "volume-groups", home, why, permissions=wanted)
        oci.user.allow("inspect", "volumes", volumes, why)
        groups = home
    else:
        groups = oci.compartment(None, f"compartment of {given(group.volume_group_id)}")
        oci.user.allow("inspect", "volume-groups", groups, f"{who}: its volume group {given(group.volume_group_id)}")
    if group.policy is not None or group.policy_id is not None:
        why = f"{who}: assign its policy to the volume group, and remove the assignment"
        oci.user.allow("manage", "backup-policy-assignments", groups, why)
        oci.key(group.xrc_kms_key_id, f"{who}: its cross-region copies are encrypted with xrc_kms_key_id")
    for backup in group.manual_backups:
        why = f"{who}: manual backup {backup.name}"
        where = oci.compartment(backup.compartment_id or group.compartment_id, "")
        _backup_statement(oci, "volume_group", where, why + _fate(backup), _deletes(backup))
        # CreateVolumeGroupBackup also needs VOLUME_GROUP_INSPECT, VOLUME_WRITE and the _CREATE of the member
        # backups; DeleteVolumeGroupBackup the _DELETE of the member backups.
        oci.user.allow("inspect", "volume-groups", groups, why)
        oci.user.allow("use", "volumes", volumes, f"{why} (a backup writes from the group's volumes)")
        members = {"VOLUME_BACKUP_CREATE", "VOLUME_BACKUP_INSPECT"} | (
            {"VOLUME_BACKUP_DELETE"} if _deletes(backup) else set()
        )
        oci.user.allow("manage", "volume-backups", where, f"{why}: its volume backups", permissions=members)
        boot = {p.replace("VOLUME_BACKUP", "BOOT_VOLUME_BACKUP") for p in members}
        oci.user.allow("manage", "boot-volume-backups", where, f"{why}: its boot volume backups", permissions=boot)
        oci.tags(backup.defined_tags, f"{why}: its defined tags")


def _bucket_of(spec: VaultBackupSpec) -> str | None:
    where = spec.destination.bucket or spec.destination.par
    return given(where.bucket) if where is not None else None


def _oci_vault_backups(section: OciSection, oci: _Oci) -> None:
    # The vault's and keys' compartments are not in the topology: statements are limited to them by OCID
    # (`target.vault.id`, `target.key.id`, Vault Service Supported Variables) and to the bucket by name
    # (`target.bucket.name`, Object Storage Supported Variables) instead.
    for spec in section.vault_backups:
        who = f"VaultBackup {spec.name}"
        vault = (f"target.vault.id='{given(spec.vault_id)}'",)
        oci.user.allow("read", "vaults", "tenancy", f"{who}: read its vault's state (GetVault)", where=vault)
        if spec.backup_vault:
            why = f"{who}: back up the vault (BackupVault)"
            oci.user.allow("manage", "vaults", "tenancy", why, permissions={"VAULT_BACKUP"}, where=vault)
        if spec.backup_vault and spec.include_keys:
            # The keys a vault backup holds are listed before and after it (ListKeys: KEY_INSPECT), per compartment:
            # the vault's own and each of key_compartments. ListKeys names no key, so `target.key.id` cannot limit it.
            why = f"{who}: list the keys its vault backup holds (ListKeys)"
            home = oci.compartment(None, f"compartment of {given(spec.vault_id)}")
            for compartment in [home, *(oci.compartment(c, "") for c in spec.key_compartments)]:
                oci.user.allow("inspect", "keys", compartment, why)
        for key in spec.keys:
            only = (f"target.key.id='{given(key)}'",)
            oci.user.allow("read", "keys", "tenancy", f"{who}: read the key's state (GetKey)", where=only)
            why = f"{who}: back up the key (BackupKey)"
            oci.user.allow("manage", "keys", "tenancy", why, permissions={"KEY_BACKUP"}, where=only)
        bucket = _bucket_of(spec)
        if bucket is None:
            continue  # a PAR URL made elsewhere: its maker's permissions write the object
        named = (f"target.bucket.name='{bucket}'",)
        # Vault backups to a bucket need the caller's "Let users write objects to Object Storage buckets" rights
        # ("Backing Up and Restoring Vaults and Keys", Required IAM Policy): read buckets, OBJECT_CREATE and
        # OBJECT_INSPECT (HeadObject proves a backup written, ListObjects finds the generations); OBJECT_OVERWRITE
        # for a trigger whose object is still in the bucket; OBJECT_DELETE for retention and delete_on_removal.
        wanted = {"OBJECT_CREATE", "OBJECT_INSPECT", "OBJECT_OVERWRITE"}
        deletes = spec.retention is not None or spec.delete_on_removal
        if deletes:
            wanted.add("OBJECT_DELETE")
        why = f"{who}: write and find{', and delete' if deletes else ''} its backup objects in bucket {bucket}"
        oci.user.allow("read", "buckets", "tenancy", why, where=named)
        oci.user.allow("manage", "objects", "tenancy", why, permissions=wanted, where=named)
        if spec.destination.par is not None:
            # CreatePreauthenticatedRequest: PAR_MANAGE, and the rights the PAR grants (Using Pre-Authenticated
            # Requests, Required Permissions: OBJECT_CREATE and OBJECT_OVERWRITE for uploads).
            why = f"{who}: create and delete a write-only PAR per backup object"
            oci.user.allow("manage", "buckets", "tenancy", why, permissions={"PAR_MANAGE"}, where=named)


def _source_object(oci: _Oci, source: Any, why: str) -> None:
    """A restore from a bucket object: "Let users download objects from Object Storage buckets"."""
    if source.bucket is None:
        return  # a PAR URL (its maker's rights) or a file
    named = (f"target.bucket.name='{given(source.bucket)}'",)
    oci.user.allow("read", "buckets", "tenancy", why, where=named)
    oci.user.allow("read", "objects", "tenancy", why, where=named)


def _oci_vault_restores(section: OciSection, oci: _Oci) -> None:
    for spec in section.vault_restores:
        who = f"VaultRestore {spec.name}"
        home = oci.compartment(spec.compartment_id, "")
        if spec.vault is not None:
            # RestoreVaultFrom*: VAULT_RESTORE; the resource reads (GetVault) and renames (UpdateVault) the vault.
            why = f"{who}: restore the vault {spec.vault.display_name}"
            wanted = {"VAULT_RESTORE", "VAULT_READ", "VAULT_UPDATE"}
            oci.user.allow("manage", "vaults", home, why, permissions=wanted)
            _source_object(oci, spec.vault.source, f"{why} from its backup object")
        for key in spec.keys:
            why = f"{who}: restore the key {key.name}"
            where = oci.compartment(key.compartment_id or spec.compartment_id, "")
            oci.user.allow("manage", "keys", where, why, permissions={"KEY_RESTORE", "KEY_READ", "KEY_UPDATE"})
            _source_object(oci, key.source, f"{why} from its backup object")


def _oci_replications(section: OciSection, resources: Sequence[Registered], oci: _Oci) -> None:
    """Bucket replication: CreateReplicationPolicy's permissions on both buckets for the caller, and the Object
    Storage service of the source region authorized to replicate (Object Storage Replication, Required IAM Policies:
    User Permissions and Service Permissions, the statement limited to the permissions replication needs)."""
    for resource in resources:
        if resource.type != REPLICATION_POLICY:
            continue
        inputs = resource.inputs
        buckets = [b for b in (inputs.get("bucket"), inputs.get("destinationBucketName")) if isinstance(b, str)]
        target = inputs.get("destinationRegionName")
        why = f"ReplicationPolicy {resource.name}: replicate bucket {inputs.get('bucket')} to {target}"
        for bucket in buckets:
            named = (f"target.bucket.name='{bucket}'",)
            objects = {"OBJECT_READ", "OBJECT_CREATE", "OBJECT_OVERWRITE", "OBJECT_INSPECT", "OBJECT_DELETE"}
            oci.user.allow("manage", "objects", "tenancy", why, permissions=objects | {"OBJECT_RESTORE"}, where=named)
            oci.user.allow(
                "manage", "buckets", "tenancy", why, permissions={"BUCKET_READ", "BUCKET_UPDATE"}, where=named
            )
            # The vault backups' bucket is in the vault's region (OCI writes backups only to buckets of the vault's
            # region): the stack's region. Its Object Storage service replicates.
            service = f"service objectstorage-{section.region}"
            wanted = {"BUCKET_READ", "BUCKET_UPDATE", "OBJECT_READ", "OBJECT_INSPECT", "OBJECT_CREATE"}
            wanted |= {"OBJECT_OVERWRITE", "OBJECT_RESTORE", "OBJECT_DELETE"}
            oci.services.allow(
                "manage", "object-family", "tenancy", why, permissions=wanted, where=named, subject=service
            )


def _manual_backup(topology: Topology, plan_name: str | None, backup_name: str | None) -> tuple[Any, str | None]:
    """(compartment, kind of backup) of a plan's manual backup: `boot_volume`, `volume` or `volume_group`."""
    section = topology.oci
    if section is None:
        return None, None
    for _, plan in section.volume_plans_all():
        for backup in plan.manual_backups if plan.name == plan_name else ():
            if backup.name == backup_name:
                return backup.compartment_id or plan.compartment_id, backup.kind
    for group in section.volume_group_plans:
        for group_backup in group.manual_backups if group.name == plan_name else ():
            if group_backup.name == backup_name:
                return group_backup.compartment_id or group.compartment_id, "volume_group"
    return None, None


def _manual_backup_compartment(topology: Topology, plan_name: str | None, backup_name: str | None) -> Any:
    return _manual_backup(topology, plan_name, backup_name)[0]


_KIND_OF_OCID = {"bootvolumebackup": "boot_volume", "volumebackup": "volume", "volumegroupbackup": "volume_group"}


def _oci_copies(topology: Topology, oci: _Oci) -> None:
    for copy in topology.copies:
        if copy.oci is None:
            continue
        spec = copy.oci
        who = f"CrossRegionCopy {copy.name}"
        if spec.source is not None:
            compartment, kind = _manual_backup(topology, spec.source.plan, spec.source.manual_backup)
            where = oci.compartment(compartment, "")
        else:
            source = str(given(spec.source_backup_id))
            kind = _KIND_OF_OCID.get(source.split(".")[1] if source.count(".") > 1 else "")
            where = oci.compartment(None, f"compartment of {source}")
        kind = kind or "boot_volume"
        # Copy<Kind>Backup: <KIND>_BACKUP_COPY on the source, and "create <kind> backups in destination region" (Core
        # Services, boot-volume-backups and volume-backups); the copy keeps its source's compartment (the copy
        # details name none), and a policy holds in every region. Get and Delete also need VOLUME_INSPECT. The
        # volume-group-backups table names no COPY permission: a group backup is copied as its volume backups are,
        # each with its kind's COPY and CREATE.
        why = f"{who}: copy the backup to {copy.oci.destination_region}"
        stem = _BACKUP_PERMISSION[kind]
        wanted = {f"{stem}_CREATE", f"{stem}_INSPECT"} | ({f"{stem}_COPY"} if kind != "volume_group" else set())
        if copy.delete_on_removal:
            wanted.add(f"{stem}_DELETE")
        oci.user.allow("manage", _BACKUP_TYPES[kind], where, why, permissions=wanted)
        if kind == "volume_group":
            for member in ("volume", "boot_volume"):
                member_stem = _BACKUP_PERMISSION[member]
                copied = {f"{member_stem}_COPY", f"{member_stem}_CREATE", f"{member_stem}_INSPECT"}
                oci.user.allow("manage", _BACKUP_TYPES[member], where, f"{why}: its volume backups", permissions=copied)
        oci.user.allow("inspect", "volumes", where, why)
        oci.key(spec.kms_key_id, f"{who}: the copy is encrypted with kms_key_id")


def _vault_backup(topology: Topology, name: str) -> VaultBackupSpec | None:
    section = topology.oci
    return next((b for b in section.vault_backups if b.name == name), None) if section is not None else None


def _oci_drills(topology: Topology, oci: _Oci) -> None:
    for drill in topology.restore_drills:
        who = f"RestoreDrill {drill.name}"
        if drill.oci is not None:
            point = drill.oci
            compartment, kind = _manual_backup(topology, point.plan, point.manual_backup)
            plan = (
                next((p for _, p in topology.oci.volume_plans_all() if p.name == point.plan), None)
                if topology.oci
                else None
            )
            scratch = oci.compartment(point.compartment_id or (plan.compartment_id if plan else None), "")
            if point.backup_id is not None:
                kind = "volume" if str(given(point.backup_id)).startswith("ocid1.volumebackup.") else "boot_volume"
                backups = oci.compartment(None, f"compartment of {given(point.backup_id)}")
            else:
                backups = oci.compartment(compartment, "")
            # CreateBootVolume / CreateVolume from a backup: `manage volumes` (VOLUME_CREATE) and `read
            # boot-volume-backups` / `read volume-backups`; the scratch volume is read, retagged and deleted
            # (VOLUME_INSPECT, VOLUME_UPDATE, VOLUME_DELETE).
            what = "block volume" if kind == "volume" else "boot volume"
            why = f"{who}: restore the {what} backup into a scratch {what}, and remove it"
            wanted = {"VOLUME_CREATE", "VOLUME_INSPECT", "VOLUME_UPDATE", "VOLUME_DELETE"}
            oci.user.allow("manage", "volumes", scratch, why, permissions=wanted)
            oci.user.allow("read", _BACKUP_TYPES[kind or "boot_volume"], backups, why)
            oci.key(point.kms_key_id, f"{who}: the scratch volume is encrypted with kms_key_id")
        elif drill.oci_volume_group is not None:
            _oci_group_drill(topology, oci, who, drill.oci_volume_group)
        elif drill.oci_vault is not None:
            _oci_vault_drill(topology, oci, who, drill.oci_vault)


def _oci_group_drill(topology: Topology, oci: _Oci, who: str, point: Any) -> None:
    """CreateVolumeGroup from a volume group backup: VOLUME_GROUP_CREATE, VOLUME_GROUP_BACKUP_INSPECT,
    VOLUME_BACKUP_READ / BOOT_VOLUME_BACKUP_READ, VOLUME_CREATE and VOLUME_WRITE; the restored group and its volumes are
    read and deleted (VOLUME_GROUP_INSPECT, VOLUME_GROUP_DELETE, VOLUME_INSPECT, VOLUME_DELETE)."""
    group = next((g for g in topology.oci.volume_group_plans if g.name == point.plan), None) if topology.oci else None
    scratch = oci.compartment(point.compartment_id or (group.compartment_id if group else None), "")
    if point.backup_id is not None:
        backups = oci.compartment(None, f"compartment of {given(point.backup_id)}")
    else:
        backups = oci.compartment(_manual_backup_compartment(topology, point.plan, point.manual_backup), "")
    why = f"{who}: restore the volume group backup into a scratch volume group, and remove it with its volumes"
    groups = {"VOLUME_GROUP_CREATE", "VOLUME_GROUP_INSPECT", "VOLUME_GROUP_DELETE"}
    oci.user.allow("manage", "volume-groups", scratch, why, permissions=groups)
    volumes = {"VOLUME_CREATE", "VOLUME_WRITE", "VOLUME_INSPECT", "VOLUME_DELETE"}
    oci.user.allow("manage", "volumes", scratch, why, permissions=volumes)
    oci.user.allow("inspect", "volume-group-backups", backups, why)
    oci.user.allow("read", "volume-backups", backups, why)
    oci.user.allow("read", "boot-volume-backups", backups, why)


def _oci_vault_drill(topology: Topology, oci: _Oci, who: str, point: Any) -> None:
    backup = _vault_backup(topology, point.vault_backup)
    if backup is None:
        return
    vault = given(backup.vault_id)
    compartment = oci.compartment(point.compartment_id, f"compartment of {vault}")
    # The restore (RestoreVaultFromObjectStore or FromFile: VAULT_RESTORE), its wait (GetVault: VAULT_READ), the key
    # count (ListKeys: KEY_INSPECT) and the scheduled deletion (ScheduleVaultDeletion: VAULT_DELETE) act on a vault
    # that does not exist yet in the vault's compartment (OCI restores only there): limited to the drill's region
    # by `request.region` (its 3-letter key; Policy Reference, General Variables for All Requests).
    region = region_key(point.region)
    here = (f"request.region='{region}'",) if region is not None else ()
    why = f"{who}: restore the vault backup into {point.region}, count its keys, schedule its deletion"
    wanted = {"VAULT_RESTORE", "VAULT_READ", "VAULT_DELETE"}
    oci.user.allow("manage", "vaults", compartment, why, permissions=wanted, where=here)
    oci.user.allow("inspect", "keys", compartment, why, where=here)
    oci.user.allow(
        "read", "vaults", "tenancy", f"{who}: read the backed-up vault", where=(f"target.vault.id='{vault}'",)
    )
    if point.file is None and backup.destination.bucket is not None:
        _source_object(oci, backup.destination.bucket, f"{who}: restore from the backup object")
    elif point.file is None and backup.destination.par is not None:
        _source_object(oci, backup.destination.par, f"{who}: restore from the backup object")


# --- IBM Cloud -----------------------------------------------------------------------------------
# Access policies: a platform role on `is` (VPC Infrastructure Services) resources, by the resource attributes of
# "Managing IAM access for VPC Infrastructure Services" (volumeId, snapshotId, snapshotConsistencyGroupId,
# backupPolicyId) and resourceGroupId. Roles from "IAM roles and actions": Block Storage Snapshots for VPC
# (is.snapshot.snapshot.create/update/delete: Editor; .restore/.operate: Operator; .read/.list: Viewer) and
# Block Storage for VPC (is.volume.volume.create/delete: Editor; .operate: Operator; .read: Viewer).


class _Ibm:
    def __init__(self) -> None:
        self._access: dict[str, tuple[str, list[str]]] = {}  # attributes -> (role, reasons)
        self._order: list[str] = []
        self.authorizations = _Grants()

    def allow(self, role: str, attributes: str, why: str) -> None:
        """`role` on the resources `attributes` names; a stronger role on the same resources holds the weaker."""
        held, reasons = self._access.get(attributes, (role, []))
        if _IBM_ROLES.index(role) > _IBM_ROLES.index(held):
            held = role
        if attributes not in self._access:
            self._order.append(attributes)
        if why not in reasons:
            reasons.append(why)
        self._access[attributes] = (held, reasons)

    def access(self) -> list[Grant]:
        return [Grant(f"{self._access[a][0]} on serviceName=is {a}", list(self._access[a][1])) for a in self._order]


DEFAULT_GROUP = "<the account's default resource group>"
"""Where IBM Cloud puts a resource the topology gives no resource group: its ID is not known offline."""


def _group(resource_group: Any) -> str:
    value = given(resource_group) if resource_group is not None else None
    return f"resourceGroupId={value or DEFAULT_GROUP}"


def _volume(volume: Any) -> str:
    value = str(given(volume))
    return f"volumeId={value}" if _IBM_ID.match(value) else "volumeId=*"


def _key_authorization(ibm: _Ibm, crn: Any, why: str) -> None:
    """Encryption with a customer root key: "Cloud Block Storage" (`server-protect`) authorized as Reader on the KMS
    instance ("Establishing service-to-service authorizations for Block Storage for VPC")."""
    if crn is None:
        return
    found = _KEY_CRN.match(str(given(crn)))
    if found is None:
        return
    target = f"{found['service']} serviceInstance={found['instance']}"
    ibm.authorizations.add(f"server-protect -> {target}: Reader", why)


def _ibm_section(section: IbmSection, topology: Topology, ibm: _Ibm) -> None:
    default = section.resource_group_id
    groups: dict[str, Any] = {}
    for spec in section.snapshots:
        who = f"SnapshotWithClones {spec.name}"
        group = spec.resource_group_id or default
        groups[spec.name] = group
        ibm.allow("Editor", f"snapshotId=* {_group(group)}", f"{who}: take, clone, tag and delete its snapshots")
        # Snapshotting operates the volume: the Backup service itself is authorized Operator on volumes to do it
        # ("Establishing service-to-service authorizations for the Backup service"); is.volume.volume.operate.
        ibm.allow("Operator", _volume(spec.volume_id), f"{who}: snapshot the volume")
    for entry in section.consistency_groups:
        who = f"SnapshotConsistencyGroup {entry.name}"
        group = entry.resource_group_id or default
        groups[entry.name] = group
        ibm.allow("Editor", f"snapshotConsistencyGroupId=* {_group(group)}", f"{who}: make, rename and delete groups")
        ibm.allow("Editor", f"snapshotId=* {_group(group)}", f"{who}: the group's snapshots")
        for volume in entry.volume_ids:
            ibm.allow("Operator", _volume(volume), f"{who}: snapshot the volume")
    for policy in section.backup_policies:
        who = f"IbmBackupPolicy {policy.name}"
        group = policy.resource_group_id or default
        ibm.allow("Editor", f"backupPolicyId=* {_group(group)}", f"{who}: the policy and its plans")
        for volume in policy.covers:
            ibm.allow("Viewer", _volume(volume), f"{who}: check that the covered volume carries a match tag")
        # The Backup service works only with these four authorizations ("Establishing service-to-service
        # authorizations for the Backup service", account level).
        for target, role in (
            ("instance", "Operator"),
            ("volume", "Operator"),
            ("snapshot", "Editor"),
            ("snapshot-consistency-group", "Editor"),
        ):
            ibm.authorizations.add(f"is backup-policy -> is {target}: {role}", f"{who}: IBM Cloud takes its backups")
        for plan in policy.plans:
            for remote in plan.remote_region_policies:
                why = f"{who}: plan {plan.name} encrypts its copies in {remote.region} with encryption_key_crn"
                _key_authorization(ibm, remote.encryption_key_crn, why)
    for copy in topology.copies:
        if copy.ibm is None:
            continue
        who = f"CrossRegionCopy {copy.name}"
        group = copy.ibm.resource_group_id or groups.get(copy.ibm.source, default)
        # A copy is a snapshot made in the destination region from the source's CRN (is.snapshot.snapshot.create,
        # and .operate on the source, which its own component's Editor holds).
        ibm.allow("Editor", f"snapshotId=* {_group(group)}", f"{who}: copy to {copy.ibm.destination_region}, prune")
        _key_authorization(ibm, copy.ibm.encryption_key_crn, f"{who}: the copy is encrypted with encryption_key_crn")
    for drill in topology.restore_drills:
        if drill.ibm is None:
            continue
        who = f"RestoreDrill {drill.name}"
        group = groups.get(drill.ibm.snapshot, default)
        # POST /volumes with source_snapshot: is.volume.volume.create (Editor) and the snapshot's .restore
        # (Operator: "Create volume from a snapshot", Managing snapshots, IAM roles); the scratch volume is deleted.
        why = f"{who}: restore the snapshot into a scratch volume in {drill.ibm.zone}, and delete it"
        ibm.allow("Editor", f"volumeId=* {_group(group)}", why)
        ibm.allow("Operator", f"snapshotId=* {_group(group)}", why)


# --- OpenStack -----------------------------------------------------------------------------------


def _openstack(topology: Topology, grants: _Grants) -> None:
    """Cinder's default policies give a project member everything the stack does (cinder/policies: create, update
    and delete of snapshots and backups, restore, volumes, os-initialize_connection: SYSTEM_ADMIN_OR_PROJECT_MEMBER;
    reads: PROJECT_READER); `force` is a request field, not a policy. Keystone's member role implies reader
    (Keystone, Default Roles). Nothing needs admin: the stack never resets a status or force-deletes."""
    section = topology.openstack
    if section is None:
        return
    project = f"cloud {section.cloud}" if section.cloud else "OS_CLOUD or the OS_* variables"
    region = f", region {section.region_name}" if section.region_name else ""
    role = f"member on the project of {project}{region}"
    for spec in section.snapshot_backups:
        why = f"SnapshotBackup {spec.name}: snapshot the volume, back it up, prune its backups"
        grants.add(role, why)
    for drill in topology.restore_drills:
        if drill.openstack is not None:
            why = f"RestoreDrill {drill.name}: restore into a scratch volume, read it, delete it"
            grants.add(role, why)
