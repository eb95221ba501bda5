"""Composition root: load and validate the stack's topology, build the components, export their outputs."""

import pulumi

from components.tooling.program import build, load_stack_topology

for key, value in build(load_stack_topology()).items():
    pulumi.export(key, value)
