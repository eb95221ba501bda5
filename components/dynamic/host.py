"""The dynamic provider host: the Pulumi SDK's own provider server, with more operations at once and previews.

The SDK's server (`python -m pulumi.dynamic`) serves the engine from a fixed pool of 4 threads: a 5th create
waits for one of the first four to finish, and so does a Check queued behind them. Backups wait minutes for the
cloud, so 16 of them would take 4 rounds. It also says nothing of previews, so in a preview the engine hands a
resource's *inputs* back as its outputs: after a change made in place (a renamed snapshot put back), every output
of that resource is unknown, and a resource that takes one of them as an immutable input (the backup made from the
snapshot) shows as replaced although `up` will leave it alone.

This host runs the same server (the SDK's module, unchanged) with
- a pool of `workers()` threads instead of 4;
- previews: the server says it supports them, a previewed create returns its inputs (no cloud call, outputs
  unknown, as before) and a previewed update returns the new inputs with the old outputs that name the resource
  (its IDs and CRN: an update in place keeps the resource), every other output unknown (no cloud call).
`Pulumi.yaml` names it (through `pulumi-resource-pulumi-python` beside this file) as the project's `pulumi-python`
provider plugin.

Usage, as the Pulumi CLI starts a provider plugin: python -u -m components.dynamic.host [engine address]
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import runpy
import sys
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

WORKERS_ENV = "BACKUP_TOPOLOGY_PROVIDER_WORKERS"
"""Environment variable: how many provider operations run at once (default DEFAULT_WORKERS)."""
DEFAULT_WORKERS = 64
_SDK_SERVER = "pulumi.dynamic"


def workers() -> int:
    """The pool size: WORKERS_ENV when it is a whole number from 1 to 1024, else DEFAULT_WORKERS."""
    raw = os.environ.get(WORKERS_ENV, "")
    if raw.strip().isdigit() and 1 <= int(raw) <= 1024:
        return int(raw)
    return DEFAULT_WORKERS


class PreviewingServicer:
    """The SDK's servicer, answering previews of Create and Update itself; every other call goes to the SDK's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC method names
        response = self._inner.Configure(request, context)
        response.supportsPreview = True
        return response

    def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.preview:
            return provider_pb2.CreateResponse(id="", properties=request.properties)
        return self._inner.Create(request, context)

    def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        if request.preview:
            return provider_pb2.UpdateResponse(properties=preview_update(request.olds, request.news))
        return self._inner.Update(request, context)


_IDENTITY = re.compile(r"(^|_)(id|ids|crn)$")
"""Outputs that name the resource (`snapshot_id`, `crn`, `snapshot_ids`): an update in place does not change them."""


def preview_update(olds: struct_pb2.Struct, news: struct_pb2.Struct) -> struct_pb2.Struct:
    """The state an in-place update leads to, as far as it is known before it runs: the new inputs and the outputs
    that name the resource; what the update may change (states, sizes, clones) is left out, so it is unknown."""
    merged = struct_pb2.Struct()
    merged.update({k: v for k, v in olds.items() if k not in news and _IDENTITY.search(k)})
    merged.update(news)
    return merged


def main() -> None:
    """Run the SDK's provider server with a pool of `workers()` threads instead of 4, answering previews."""
    stock_pool = concurrent.futures.ThreadPoolExecutor
    stock_add = provider_pb2_grpc.add_ResourceProviderServicer_to_server
    size = workers()

    class ServerPool(stock_pool):  # type: ignore[valid-type,misc]
        """The pool the SDK server makes for its gRPC server; any other pool is the stock one."""

        def __init__(self, max_workers: int | None = None, *args: Any, **kwargs: Any) -> None:
            if sys._getframe(1).f_globals.get("__name__") == "__main__":  # the SDK server's main()
                concurrent.futures.ThreadPoolExecutor = stock_pool  # type: ignore[misc]
                max_workers = max(size, max_workers or 0)
            super().__init__(max_workers, *args, **kwargs)

    def add_servicer(servicer: Any, server: Any) -> None:
        provider_pb2_grpc.add_ResourceProviderServicer_to_server = stock_add
        stock_add(PreviewingServicer(servicer), server)  # type: ignore[arg-type]  # a proxy of the servicer

    concurrent.futures.ThreadPoolExecutor = ServerPool  # type: ignore[misc]
    provider_pb2_grpc.add_ResourceProviderServicer_to_server = add_servicer
    runpy.run_module(_SDK_SERVER, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
