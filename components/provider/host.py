"""The component provider: the SDK's own (`pulumi.provider.experimental`), serving the public components.

The engine starts it for a program in another language that uses the package `backup-topology` (a YAML program's
`packages:`, an SDK made by `pulumi package add`), and for `pulumi package get-schema <checkout>`: it runs the
checkout's `__main__.py` as `PulumiPlugin.yaml` says, which calls `serve()` here. A component is built in this
process as a Python program builds it, with the same type token and child names, so its state is the same; its
dynamic resources are served by the `pulumi-python` plugin that the program's `Pulumi.yaml` names.
"""

from __future__ import annotations

import enum
import json
import sys
import tomllib
import typing
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.provider import main
from pulumi.provider.experimental.analyzer import (
    Analyzer,
    ComponentDefinition,
    PropertyDefinition,
    TypeDefinition,
)
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult, Provider
from pulumi.provider.server import ComponentInitError

from components.errors import TopologyError
from components.provider.shapes import Shaped, Shapes, shapes

PACKAGE = "backup-topology"
"""The package name: the first part of every component's type token."""
DESCRIPTION = "A multi-cloud backup topology declared as code (OCI, IBM Cloud VPC, OpenStack)."
_ROOT = Path(__file__).resolve().parents[2]


def package_version() -> str:
    """The project's version: pyproject.toml's in a checkout, else the installed distribution's."""
    pyproject = _ROOT / "pyproject.toml"
    if pyproject.is_file():
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    return metadata.version(PACKAGE)


class _DocumentedAnalyzer(Analyzer):
    """The SDK's analyzer, reading field docstrings from the shapes (the facades have no source to parse)."""

    def __init__(self, name: str, found: Shapes) -> None:
        super().__init__(name)
        self._shapes = found

    def get_docstring(self, typ: type, name: str) -> str | None:
        return self._shapes.doc(typ, name)


class BackupTopologyProvider(ComponentProvider):
    """The SDK's component provider over the shaped components: schema from the facades, construction by the
    components themselves (their own Args and validation), outputs mapped to the schema's names at every depth."""

    def __init__(self, found: Shapes | None = None, version: str | None = None) -> None:
        found = found or shapes()
        version = version or package_version()
        self._name = PACKAGE
        self._hosted: dict[str, Shaped] = {s.component.__name__: s for s in found.components}
        self.analyzer = _DocumentedAnalyzer(PACKAGE, found)
        result = self.analyzer.analyze([s.facade for s in found.components])
        self._components = {s.component.__name__: s.component for s in found.components}
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
        self._external_enum_types = result["external_enum_types"]
        self._dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
        spec = generate_schema(PACKAGE, version, None, self._component_defs, self._type_defs, self._dependencies)
        self.spec: dict[str, Any] = _tidy({**spec.to_json(), "description": DESCRIPTION, "config": {}})
        self._mark_secrets(found)
        Provider.__init__(self, version, _json(self.spec))

    def _mark_secrets(self, found: Shapes) -> None:
        """`secret: true` on the properties marked secret (the SDK's analyzer has no such notion): a component's
        outputs and inputs, and the fields of object types."""
        places: dict[type, dict[str, Any]] = {}
        resources = self.spec["resources"]
        for shaped in found.components:
            name = shaped.component.__name__
            resource = resources[f"{PACKAGE}:index:{name}"]
            places[shaped.facade] = resource.get("properties", {})
            places[vars(shaped.facade)["__init__"].__annotations__["args"]] = resource.get("inputProperties", {})
        for type_name, type_def in self._type_defs.items():
            places[type_def.python_type] = self.spec["types"][f"{PACKAGE}:index:{type_name}"].get("properties", {})
        for wire, names in found.secrets.items():
            for name in names:
                places[wire][camel_case(name)]["secret"] = True

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        self.validate_resource_type(self._name, resource_type)
        component_name = resource_type.rsplit(":", maxsplit=1)[-1]
        hosted = self._hosted[component_name]
        definition = self._component_defs[component_name]
        args = _plain_values(self.map_inputs(inputs, definition))
        try:
            instance = typing.cast(Any, hosted.component)(name, args, options)
        except TopologyError as exc:
            errors = [
                InputPropertyErrorDetails(property_path=_schema_path(p.path), reason=p.reason) for p in exc.problems
            ]
            raise InputPropertiesError(str(exc), errors) from None
        except Exception as exc:
            raise ComponentInitError(exc) from exc
        return ConstructResult(instance.urn, self.get_state(instance, definition))

    def get_state(self, instance: pulumi.ComponentResource, component_def: ComponentDefinition) -> dict[str, Any]:
        # What the component registers (its `outputs()`), as a Python program's state holds it; else its attributes.
        registered = instance.outputs() if callable(getattr(instance, "outputs", None)) else None  # type: ignore[attr-defined]
        state: dict[str, Any] = {}
        for schema_name, prop in component_def.outputs.items():
            py_name = component_def.outputs_mapping[schema_name]
            value = registered.get(py_name) if registered is not None else getattr(instance, py_name, None)
            if value is not None:
                state[schema_name] = self._output_value(value, prop)
        return state

    def _output_value(self, value: Any, prop: PropertyDefinition) -> Any:
        """`value` with the keys of every object of a schema type renamed to the schema's, in lists and maps too
        (the SDK's own get_state renames only an object that is the output itself)."""
        if isinstance(value, pulumi.Output):
            return value.apply(lambda known: self._output_value(known, prop))
        if value is None:
            return None
        type_def = self.get_type_definition(prop) if prop.ref else None
        if type_def is not None and type_def.enum:
            return value.value if isinstance(value, enum.Enum) else value
        if type_def is not None and isinstance(value, Mapping):
            return self._object(value, type_def)
        if prop.items is not None and isinstance(value, list):
            return [self._output_value(v, prop.items) for v in value]
        if prop.additional_properties is not None and isinstance(value, Mapping):
            return {k: self._output_value(v, prop.additional_properties) for k, v in value.items()}
        return value

    def _object(self, value: Mapping[str, Any], type_def: TypeDefinition) -> dict[str, Any]:
        return {
            schema_name: self._output_value(value[py_name], prop)
            for schema_name, prop in type_def.properties.items()
            if value.get(py_name := type_def.properties_mapping[schema_name]) is not None
        }


def _tidy(value: Any, *, in_type: bool = False) -> Any:
    """The schema as the engine reads it back (`pulumi package get-schema` prints it so): no nulls, no empty lists
    of dependencies or required names, and no description on a list's items or a map's values (a type there, not a
    property, has none)."""
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if not isinstance(value, dict):
        return value
    tidied = {}
    for key, item in value.items():
        empty = item == [] and key in ("dependencies", "required", "requiredInputs")
        if item is None or empty or (in_type and key == "description"):
            continue
        tidied[key] = _tidy(item, in_type=key in ("items", "additionalProperties"))
    return tidied


def _plain_values(value: Any) -> Any:
    """The mapped inputs with enum members as their values (the components take the strings)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_values(v) for v in value]
    return value


def _schema_path(path: str) -> str:
    """A problem's dotted path (`ibm.source_region`, `plans[0].cron_spec`) in the schema's names (camelCase)."""
    return ".".join(camel_case(part) for part in path.split("."))


def _json(spec: Mapping[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def started_as_plugin() -> bool:
    """Whether this process is the engine's plugin (`python <checkout> <engine address>`) rather than a program
    run by the Python language host (which connects the SDK to the engine's monitor before the program starts)."""
    return pulumi.runtime.settings.get_monitor() is None and len(sys.argv) > 1


def serve() -> None:
    """Serve the components to the engine whose address is the first argument (as the engine starts a plugin)."""
    main(BackupTopologyProvider(), sys.argv[1:])
