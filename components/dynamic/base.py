"""The base of every dynamic provider: pydantic check, deepdiff diff, deadlines and progress; nothing captured."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pulumi
from deepdiff import DeepDiff
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ResourceProvider
from pulumi.output import Unknown
from pydantic import BaseModel, Field, ValidationError

from components.clouds.calls import Deadline
from components.config import problems_from_validation

UNKNOWN = pulumi.runtime.rpc.UNKNOWN
"""How a not-yet-known value travels on the wire (the provider server turns it into `pulumi.output.Unknown`)."""

MODULE = "backup-topology"
"""Dynamic resource classes declare `module=MODULE`: their type is `pulumi-python:dynamic/backup-topology:<Name>`."""


class Timeouts(BaseModel):
    """Deadlines, in seconds, of a dynamic resource's operations (every wait ends at its deadline)."""

    model_config = {"frozen": True, "extra": "forbid"}

    create: int = Field(1800, ge=1, description="Seconds a create (with its waits) may take.")
    update: int = Field(1800, ge=1, description="Seconds an update may take.")
    delete: int = Field(1800, ge=1, description="Seconds a delete may take.")


class DynamicProvider(ResourceProvider):
    """A provider whose inputs are one pydantic model; subclasses implement the cloud operations.

    The instance is pickled into the state with every resource, so it holds no attributes at all:
    SDK clients and credentials are built inside each method from the environment.
    """

    props: ClassVar[type[BaseModel]]
    """The model of the inputs (secret inputs excluded: they never enter a model)."""
    secret_inputs: ClassVar[frozenset[str]] = frozenset()
    """Inputs holding secrets; checked by `check_secrets`, compared by diff, never printed."""
    immutable: ClassVar[frozenset[str]] = frozenset()
    """Inputs whose change replaces the resource; every other change is an in-place update."""
    renamed_by_trigger: ClassVar[bool] = False
    """The cloud name ends in the trigger: a state written before `trigger` was an input replaces on a new name."""

    # --- check -----------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs with the model; each problem becomes a CheckFailure naming the input.

        `olds` are the inputs of the last `up` (the engine passes old *inputs* to Check, old *outputs* to Diff).
        What the cloud would refuse is looked up only when the inputs lead to a create and are all known.
        """
        failures = [CheckFailure(p, r) for p, r in self.validation_problems(news)]
        failures += [CheckFailure(p, r) for p, r in self.check_secrets(news)]
        if not failures and olds:
            failures += [CheckFailure(p, r) for p, r in self.upgrade_problems(olds, news)]
        if not failures and olds:
            failures += [CheckFailure(p, r) for p, r in self.replacement_problems(olds, news)]
        if not failures and self.will_create(olds, news) and not is_unknown(self.model_inputs(news)):
            failures += [CheckFailure(p, r) for p, r in self.check_before_create(news)]
        return CheckResult(news, failures)

    def identity(self, props: Mapping[str, Any]) -> Any:
        """What names the resource in the cloud (its name in its region, say); None when nothing does."""
        return None

    def unmarked(self, _olds: Mapping[str, Any]) -> bool:
        """The backup was made by an earlier version, before it carried its series marker (and before the engine
        was told to keep it on replacement): a new trigger would delete it."""
        return False

    def upgrade_problems(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A new trigger on a backup of an earlier version is refused: its state does not keep it yet."""
        key = "trigger" if "trigger" in olds else "name"
        if is_unknown(news.get(key)) or olds.get(key) == news.get(key) or not self.unmarked(olds):
            return []
        why = (
            "this backup was made before earlier generations were kept: run `pulumi up` once with the same trigger "
            "(it marks the backup, so that a new trigger keeps it), then change the trigger"
        )
        return [("trigger", why)]

    def replacement_problems(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A replacement that keeps the resource's cloud identity cannot be made: the new resource would take the
        old one's name, a retried create would adopt the old one, and the engine would then delete it. Such a
        change needs a new trigger (a new name), and the current resource is left as it is."""
        replaced = self.replaces(olds, news, self.changed(olds, news))
        if not replaced or is_unknown(news):
            return []
        before, after = self.identity(olds), self.identity(news)
        if before is None or before != after:
            return []
        return [
            (
                key,
                f"cannot change in place, and a replacement would take the same name ({after[-1]}): "
                "change `trigger` with it to take a new one",
            )
            for key in sorted(replaced)
        ]

    def validation_problems(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(input, reason) for every model rule the inputs break; unknown (preview) inputs are not judged."""
        unknown = {k for k, v in news.items() if is_unknown(v)}
        try:
            self.props.model_validate(self.model_inputs(news, drop=unknown))
        except ValidationError as exc:
            return [
                (p.path, p.reason)
                for p in problems_from_validation(exc, self.props)
                if p.path.split(".", 1)[0].split("[", 1)[0] not in unknown
            ]
        return []

    def check_secrets(self, _news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(input, reason) for malformed secret inputs; reasons must never quote the secret."""
        return []

    def will_create(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether these inputs lead to a create: no old state, or an input changed that replaces."""
        if not olds:
            return True
        return bool(self.replaces(olds, news, self.changed(olds, news)))

    def check_before_create(self, _news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(input, reason) for what the cloud would refuse, found by reading it before anything is changed."""
        return []

    # --- diff ------------------------------------------------------------------------------------

    def input_names(self) -> frozenset[str]:
        """Names of every input the provider compares."""
        return frozenset(self.props.model_fields) | self.secret_inputs

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> set[str]:
        """Inputs whose value differs between the old state and the new inputs (unknown counts as changed).

        Numbers compare by value: the engine carries every number as a float.
        """
        names = self.input_names()
        before = {k: v for k, v in olds.items() if k in names}
        after = {k: v for k, v in news.items() if k in names}
        changed = {k for k, v in after.items() if is_unknown(v)}
        if self.renamed_by_trigger and "trigger" not in olds:
            after.pop("trigger", None)  # a state from before `trigger` was an input: the name carries it
        # Only inputs that differ at all go to DeepDiff: an unchanged `up` of a large stack diffs every resource.
        differ = {k for k in before.keys() | after.keys() if k not in changed and not _same(before, after, k)}
        if not differ:
            return changed
        diff = DeepDiff(
            {k: v for k, v in before.items() if k in differ},
            {k: v for k, v in after.items() if k in differ},
            ignore_order=False,
            ignore_numeric_type_changes=True,
        )
        changed.update(str(k) for k in diff.affected_root_keys)
        return changed

    def replaces(self, olds: Mapping[str, Any], news: Mapping[str, Any], changed: set[str]) -> set[str]:
        """The changed inputs that the cloud cannot apply in place."""
        found = changed & self.immutable
        if self.renamed_by_trigger and "trigger" not in olds and "name" in changed:
            found.add("name")  # the old state has no trigger: a new name is a new trigger, hence a new resource
        return found

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Explicit diff: replaces only for inputs the cloud cannot change in place; no change, no update."""
        changed = self.changed(olds, news)
        replaces = self.replaces(olds, news, changed)
        return DiffResult(
            changes=bool(changed),
            replaces=sorted(replaces),
            stables=sorted(self.immutable - changed),
            delete_before_replace=False,
        )

    # --- helpers for subclasses ------------------------------------------------------------------

    def model_inputs(self, props: Mapping[str, Any], drop: Iterable[str] = ()) -> dict[str, Any]:
        """The inputs the model knows, without secret inputs (and without `drop`)."""
        skip = set(drop) | self.secret_inputs
        return {k: v for k, v in props.items() if k in self.props.model_fields and k not in skip}

    def deadline(self, props: Mapping[str, Any], operation: str) -> Deadline:
        """The deadline of one operation, from the resource's `timeouts` input."""
        timeouts = Timeouts.model_validate(props.get("timeouts") or {})
        return Deadline(float(getattr(timeouts, operation)))


_MISSING = object()


def _same(before: Mapping[str, Any], after: Mapping[str, Any], key: str) -> bool:
    """Whether an input holds the same value on both sides, strictly: a bool is not a number, nor a list a tuple;
    an int equals the float of the same value (the engine carries every number as a float)."""
    return _equal(before.get(key, _MISSING), after.get(key, _MISSING))


def _equal(a: Any, b: Any) -> bool:
    """True only when DeepDiff would find no difference (any doubt: False, and DeepDiff decides)."""
    if type(a) is not type(b) and not (_number(a) and _number(b)):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def state_inputs(props: Mapping[str, Any], without: Iterable[str] = ()) -> dict[str, Any]:
    """The inputs a provider returns as outputs: all but the serialized provider (`__provider`) and `without`."""
    skip = set(without)
    return {k: v for k, v in props.items() if not k.startswith("__") and k not in skip}


def progress(message: str) -> None:
    """Report progress of a long wait to the Pulumi engine (ignored where no engine listens)."""
    try:
        pulumi.log.info(message)
    except Exception:  # noqa: BLE001 - progress must never fail the operation it reports on
        return


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret value replaced by [secret]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


def is_unknown(value: Any) -> bool:
    """Whether a value is, or holds, a value not known yet (a preview of inputs that come from other resources)."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False
