"""Reading a block volume's data where the provider runs, from the connection details its cloud gives a host.

A restore drill proves a restore by the content: it hashes the restored volume's bytes. Cinder tells a host how to
reach a volume (os-initialize_connection); for the NFS and local-file drivers that is a file on an export, which
the provider reads when the export is on this host. Other transports (iSCSI, RBD, NVMe) need an attached host: the
check says so instead of guessing.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.clouds.calls import CloudError, Deadline

_CHUNK = 4 * 1024 * 1024
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def connector() -> dict[str, Any]:
    """What this host tells Cinder about itself when it asks how to reach a volume."""
    return {
        "host": socket.gethostname(),
        "ip": "127.0.0.1",
        "initiator": "",
        "multipath": False,
        "platform": platform.machine(),
        "os_type": "linux",
        "do_local_attach": False,
    }


def volume_file(info: Mapping[str, Any]) -> Path:
    """The file holding the volume's data, from Cinder's connection details, if this host can read it."""
    kind = str(info.get("driver_volume_type") or "")
    data = info.get("data") or {}
    if kind == "local":
        path = data.get("device_path")
        if path:
            return Path(str(path))
    if kind == "nfs":
        export, name = str(data.get("export") or ""), str(data.get("name") or "")
        host, _, path = export.rpartition(":")
        if data.get("format", "raw") != "raw":
            msg = f"the volume is stored as {data.get('format')}, not raw: its bytes are not the volume's data"
            raise CloudError(msg)
        local = {*_LOCAL_HOSTS, socket.gethostname(), socket.getfqdn()}
        if host in local and path and name:
            return Path(path) / name
        msg = f"the volume is on the NFS export {export}, not on this host: reading it needs that export mounted here"
        raise CloudError(msg)
    msg = f"the volume is reached by {kind or 'an unknown transport'}: reading it needs a host it is attached to"
    raise CloudError(msg)


def digest(path: Path, length: int | None, deadline: Deadline) -> tuple[str, int]:
    """SHA-256 of the first `length` bytes of the file (all of it when None), and how many bytes were read."""
    hasher = hashlib.sha256()
    done = 0
    try:
        with path.open("rb") as data:
            while length is None or done < length:
                if deadline.remaining() <= 0:
                    msg = f"reading {path}: deadline reached after {done} bytes"
                    raise CloudError(msg)
                chunk = data.read(_CHUNK if length is None else min(_CHUNK, length - done))
                if not chunk:
                    break
                hasher.update(chunk)
                done += len(chunk)
    except OSError as exc:
        msg = f"reading {path}: {os.strerror(exc.errno) if exc.errno else exc}"
        raise CloudError(msg) from None
    return hasher.hexdigest(), done
