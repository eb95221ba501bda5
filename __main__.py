"""Composition root: load and validate the stack's topology, build the components, export their outputs.

Started by the engine as a plugin instead (`PulumiPlugin.yaml`: a program in another language uses the package, or
`pulumi package get-schema`), it serves the components to that program (components.provider.host).
"""

from components.provider.host import serve, started_as_plugin

if started_as_plugin():
    serve()
else:
    import pulumi

    from components.tooling.program import build, load_stack_topology

    for key, value in build(load_stack_topology()).items():
        pulumi.export(key, value)
