"""Dynamic resource RestoreTrigger: a bool that flips whenever a restore's source changes (for `restore_trigger`)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.dynamic.base import MODULE, DynamicProvider


class RestoreTriggerProps(BaseModel):
    """Inputs of RestoreTrigger."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    source: str = Field(min_length=1, description="What identifies the restore's source (never a secret itself).")


class RestoreTriggerProvider(DynamicProvider):
    """`flip` starts false and turns over on every update, and an update happens only when `source` changes.

    pulumi-oci's `oci.kms.Vault` and `oci.kms.Key` restore again only when their boolean `restore_trigger` changes
    (terraform-provider-oci's Update restores on `HasChange("restore_trigger")`); a bool cannot carry the source's
    identity, so the state keeps the last value and this resource turns it over for each new source.
    """

    props: ClassVar[type[BaseModel]] = RestoreTriggerProps

    def create(self, props: dict[str, Any]) -> CreateResult:
        """A first restore: the native resource's create restores anyway; `flip` starts false."""
        model = RestoreTriggerProps.model_validate(self.model_inputs(props))
        return CreateResult(f"restore-trigger.{uuid.uuid4().hex[:16]}", {"source": model.source, "flip": False})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A new source: `flip` turns over, so the native resource's `restore_trigger` changes and it restores."""
        model = RestoreTriggerProps.model_validate(self.model_inputs(news))
        flip = bool(olds.get("flip"))
        return UpdateResult({"source": model.source, "flip": not flip if olds.get("source") != model.source else flip})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Nothing lives in a cloud: the state is the truth."""
        return ReadResult(id_, props)


class RestoreTrigger(pulumi.dynamic.Resource, module=MODULE, name="RestoreTrigger"):
    """The `restore_trigger` of a restored vault or key: it changes exactly when the restore's source changes."""

    flip: pulumi.Output[bool]

    def __init__(self, name: str, source: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RestoreTriggerProvider(), name, {"source": source, "flip": None}, opts)
