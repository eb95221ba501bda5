"""Testing your own Pulumi program that uses the components: run it under Pulumi's mock runtime, no engine, no cloud.

    from components.testing import run_program

    def test_the_web_tier_is_backed_up_daily() -> None:
        sim = run_program("path/to/program", config={"compartmentId": "ocid1.compartment.oc1..example"})
        [assignment] = sim.of_type("oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment")
        assert sim.exports["policy_id"].startswith("ocid1.")

Add `pytest_plugins = ["components.testing"]` to your conftest.py to keep third-party notices (pulumi_openstack's
renamed resources, openstacksdk's future releases) out of your test report.
"""

from __future__ import annotations

import runpy
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from components.tooling.mock_runtime import SECRET, Registered, Simulation, simulate
from components.tooling.mock_runtime import TopologyMocks as ComponentMocks

__all__ = ["SECRET", "ComponentMocks", "Registered", "Simulation", "quiet_third_party_warnings", "run_program"]

THIRD_PARTY_WARNINGS = (
    # pulumi_openstack warns of its own renamed resources when it is imported
    ("ignore", DeprecationWarning, r"pulumi_openstack(\..*)?"),
    # openstacksdk's notices about its future releases, raised from inside the SDK on every call
    ("ignore", DeprecationWarning, r"openstack(\..*)?"),
    ("ignore", PendingDeprecationWarning, r"openstack(\..*)?"),
)
"""(action, category, module pattern) of the notices the components' dependencies print that a user cannot act on."""


@contextmanager
def quiet_third_party_warnings() -> Iterator[None]:
    """Run the block with the dependencies' own notices (THIRD_PARTY_WARNINGS) ignored; others still show."""
    with warnings.catch_warnings():
        for action, category, module in THIRD_PARTY_WARNINGS:
            warnings.filterwarnings(action, category=category, module=module)  # type: ignore[arg-type]
        yield


def run_program(
    program: str | Path | Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    stack: str = "test",
    project: str | None = None,
    preview: bool = False,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    secret_keys: tuple[str, ...] = (),
    mocks: ComponentMocks | None = None,
) -> Simulation:
    """Run a Pulumi program under the mock runtime and return what it registered and exported.

    `program` is a project directory (its Pulumi.yaml names the project; its `__main__.py` runs), a Python file, or
    a function. `config` keys without a namespace are the project's (`compartmentId` is `<project>:compartmentId`).
    `preview=True` runs it as a first `pulumi preview` (outputs of resources not made yet are unknown).
    `stack_outputs` answers `pulumi.StackReference(name)` by stack name (in a preview, its outputs are unknown).
    The mocks answer the components' calls (Oracle-defined backup policies, the Object Storage namespace) and make
    deterministic IDs; pass your own `ComponentMocks` subclass to answer more.
    """
    body, name = _program(program)
    project = project or name
    values = {(k if ":" in k else f"{project}:{k}"): v for k, v in (config or {}).items()}
    secrets = [k if ":" in k else f"{project}:{k}" for k in secret_keys]
    with quiet_third_party_warnings():
        return simulate(
            body,
            config=values,
            secret_keys=secrets,
            project=project,
            stack=stack,
            mocks=mocks or ComponentMocks(stack_outputs=stack_outputs),
            preview=preview,
        )


def _program(program: str | Path | Callable[[], Any]) -> tuple[Callable[[], Any], str]:
    """The program as a function, and the project name it runs as."""
    if callable(program):
        return program, "test"
    path = Path(program)
    main = path / "__main__.py" if path.is_dir() else path
    if not main.is_file():
        msg = f"{program}: no Pulumi program here (a project directory with __main__.py, or a Python file)"
        raise FileNotFoundError(msg)
    project_file = main.parent / "Pulumi.yaml"
    name = "test"
    if project_file.is_file():
        doc = yaml.safe_load(project_file.read_text()) or {}
        name = str(doc.get("name") or name) if isinstance(doc, Mapping) else name
    return (lambda: runpy.run_path(str(main), run_name="__main__")), name


def pytest_configure(config: Any) -> None:
    """As a pytest plugin (`pytest_plugins = ["components.testing"]`): the dependencies' notices are filtered."""
    for action, category, module in THIRD_PARTY_WARNINGS:
        config.addinivalue_line("filterwarnings", f"{action}::{category.__name__}:{module}")
