"""Reading a restored volume where the provider runs: from Cinder's connection details to a digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from components.clouds.calls import CloudError, Deadline
from components.clouds.volume_data import digest, volume_file


def nfs(export: str, name: str = "volume-1", fmt: str = "raw") -> dict[str, object]:
    return {"driver_volume_type": "nfs", "data": {"export": export, "name": name, "format": fmt}}


def test_a_volume_on_a_local_nfs_export_is_a_file_of_that_export() -> None:
    assert volume_file(nfs("127.0.0.1:/srv/cinder")) == Path("/srv/cinder/volume-1")


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (nfs("10.0.0.9:/srv/cinder"), "not on this host: reading it needs that export mounted here"),
        (nfs("127.0.0.1:/srv/cinder", fmt="qcow2"), "stored as qcow2, not raw"),
        ({"driver_volume_type": "iscsi", "data": {}}, "reached by iscsi: reading it needs a host it is attached to"),
    ],
)
def test_what_cannot_be_read_here_says_why(info: dict[str, object], reason: str) -> None:
    with pytest.raises(CloudError, match=reason):
        volume_file(info)


def test_the_digest_covers_the_first_bytes_asked_for(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096
    path = tmp_path / "volume"
    path.write_bytes(data)
    assert digest(path, 1000, Deadline(10)) == (hashlib.sha256(data[:1000]).hexdigest(), 1000)
    assert digest(path, None, Deadline(10)) == (hashlib.sha256(data).hexdigest(), len(data))
    assert digest(path, len(data) + 5, Deadline(10))[1] == len(data)  # a short volume reads what it holds


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CloudError, match="No such file or directory"):
        digest(tmp_path / "gone", None, Deadline(10))
