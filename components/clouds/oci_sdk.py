"""What every OCI adapter shares: the SDK's configuration and signer, clients without the SDK's own retries and
bounded by the operation's deadline, calls retried on throttling and failures, and service errors that name the
resource. Never imports pulumi."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

import oci

from components.clouds.calls import (
    CloudError,
    Deadline,
    NotFoundError,
    Transient,
    bound_requests,
    call,
    parse_retry_after,
)

T = TypeVar("T")
C = TypeVar("C")

NO_SDK_RETRIES = oci.retry.NoneRetryStrategy()  # retries are ours: deadline-bound and honouring Retry-After
# The SDK's process-wide circuit breaker would, after ten throttled answers, fail every later call of the
# process with its own error (no resource named, not retried): throttling is handled by our retries instead.
NO_CIRCUIT_BREAKER = oci.circuit_breaker.NoCircuitBreakerStrategy()
TIMEOUT = (10.0, 60.0)  # connect, read seconds; each request also ends by the operation's deadline
CONFIG_ERRORS = (oci.exceptions.ClientError, OSError, KeyError, ValueError, TypeError)


class Signing(Protocol):
    """Who signs the requests: the region and the standard OCI configuration (never credentials themselves)."""

    @property
    def region(self) -> str: ...
    @property
    def auth(self) -> str | None: ...
    @property
    def profile(self) -> str | None: ...


def transient(exc: Exception) -> Transient | None:
    if isinstance(exc, oci.exceptions.ServiceError):
        if exc.status == 429 or exc.status >= 500 or exc.status == -1:
            headers = exc.headers or {}
            return Transient(f"HTTP {exc.status} {exc.code}", parse_retry_after(headers.get("retry-after")))
        return None
    if isinstance(exc, (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout)):
        return Transient(f"connection failed ({type(exc).__name__})")
    return None


def sdk_config(conn: Signing) -> tuple[dict[str, Any], Any]:
    """The SDK config and signer for `conn`, read now from the environment and config files."""
    base: dict[str, Any] = {"region": conn.region}
    try:
        if conn.auth == "instance_principal":
            return base, oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        if conn.auth == "resource_principal":
            return base, oci.auth.signers.get_resource_principals_signer()
        location = os.environ.get("OCI_CONFIG_FILE", oci.config.DEFAULT_LOCATION)
        profile = conn.profile or os.environ.get("OCI_CLI_PROFILE", oci.config.DEFAULT_PROFILE)
        config = oci.config.from_file(file_location=location, profile_name=profile)
        config["region"] = conn.region
        if conn.auth == "security_token":
            with open(os.path.expanduser(config["security_token_file"]), encoding="utf-8") as handle:
                token = handle.read().strip()
            key = oci.signer.load_private_key_from_file(config["key_file"], config.get("pass_phrase"))
            return config, oci.auth.signers.SecurityTokenSigner(token, key)
        return config, None
    except CONFIG_ERRORS as exc:
        raise config_error(conn, exc) from None


def config_error(conn: Signing, exc: Exception) -> CloudError:
    """A clear error for an unusable OCI configuration; the SDK's messages name files and fields, never secrets."""
    where = f"profile {conn.profile or os.environ.get('OCI_CLI_PROFILE', oci.config.DEFAULT_PROFILE)}"
    if isinstance(exc, oci.exceptions.MissingPrivateKeyPassphrase):
        why = "the private key file is encrypted and the profile has no pass_phrase"
    elif isinstance(exc, oci.exceptions.InvalidPrivateKey):
        why = "the private key file cannot be read with the profile's pass_phrase (wrong pass_phrase, or not a key)"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return CloudError(f"OCI configuration ({conn.auth or 'api_key'}, {where}): {why}")


class OciOperation:
    """The SDK clients and calls of one operation, all bound to one deadline; build one per provider call."""

    conflict: ClassVar[str] = "conflict, another operation is in progress on it"
    """What an HTTP 409 from this service means."""

    def __init__(self, signing: Signing, deadline: Deadline, progress: Callable[[str], None] | None = None) -> None:
        self._signing = signing
        self._deadline = deadline
        self._progress = progress
        self._config, self._signer = sdk_config(signing)

    def _client(self, kind: Callable[..., C], endpoint: str | None) -> C:
        """An SDK client of this operation: no SDK retries, no circuit breaker, requests bounded by the deadline."""
        kwargs: dict[str, Any] = {
            "retry_strategy": NO_SDK_RETRIES,
            "circuit_breaker_strategy": NO_CIRCUIT_BREAKER,
            "timeout": TIMEOUT,
        }
        if self._signer is not None:
            kwargs["signer"] = self._signer
        if endpoint:
            kwargs["service_endpoint"] = endpoint
        try:
            client = kind(self._config, **kwargs)
        except CONFIG_ERRORS as exc:  # the API key is loaded here: a wrong pass_phrase shows now
            raise config_error(self._signing, exc) from None
        bound_requests(client.base_client.session)  # type: ignore[attr-defined]
        return client

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return call(fn, what=what, deadline=self._deadline, transient=transient)
        except oci.exceptions.ServiceError as exc:
            raise translate(what, exc, self.conflict) from None


def translate(what: str, exc: oci.exceptions.ServiceError, conflict: str) -> CloudError:
    """The project's error for a service error, naming the resource (the service message never holds a PAR)."""
    detail = f"HTTP {exc.status} {exc.code}: {exc.message}"
    if exc.status == 404:
        return NotFoundError(f"{what}: not found or not authorized ({detail})")
    if exc.status == 409:
        return CloudError(f"{what}: {conflict} ({detail})")
    if exc.status in (401, 403):
        return CloudError(f"{what}: not authorized; check the OCI credentials and IAM policies ({detail})")
    return CloudError(f"{what}: {detail}")
