"""Dynamic resource ExpiryTime: a point in time fixed when created (now + days), renewed only when its inputs change."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult
from pydantic import BaseModel, ConfigDict, Field

from components.dynamic.base import MODULE, DynamicProvider


class ExpiryProps(BaseModel):
    """Inputs of ExpiryTime."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    days: int = Field(ge=1, le=3650)
    trigger: str = Field(min_length=1)


class ExpiryTimeProvider(DynamicProvider):
    """Computes `expires_at` once; any change of days or trigger makes a new one (replacement)."""

    props: ClassVar[type[BaseModel]] = ExpiryProps
    immutable: ClassVar[frozenset[str]] = frozenset({"days", "trigger"})

    def create(self, props: dict[str, Any]) -> CreateResult:
        """`expires_at` = now + days, RFC 3339 in UTC, to the second."""
        model = ExpiryProps.model_validate(props)
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        expires = (now + datetime.timedelta(days=model.days)).isoformat().replace("+00:00", "Z")
        return CreateResult(f"expiry.{model.trigger}.{expires}", {**model.model_dump(), "expires_at": expires})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Nothing lives in a cloud: the state is the truth."""
        return ReadResult(id_, props)


class ExpiryTime(pulumi.dynamic.Resource, module=MODULE, name="ExpiryTime"):
    """A fixed expiry time for things that must not be renewed on every `pulumi up` (e.g. a PAR)."""

    expires_at: pulumi.Output[str]

    def __init__(self, name: str, days: int, trigger: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__(ExpiryTimeProvider(), name, {"days": days, "trigger": trigger, "expires_at": None}, opts)
