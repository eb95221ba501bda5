"""The components as a Pulumi component provider, for programs in YAML, TypeScript, Go, C# and other languages.

`shapes` reshapes each public component's Args and declared outputs into types the Pulumi SDK's component analyzer
reads (`pulumi.provider.experimental`); `host` serves them under the package name `backup-topology`, with the type
tokens Python programs register (`backup-topology:index:<Component>`). The project's `__main__.py` starts the host
when the engine runs the checkout as a plugin (`PulumiPlugin.yaml`).
"""
