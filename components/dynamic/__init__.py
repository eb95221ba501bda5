"""Pulumi dynamic resources: a small base and one module per resource."""
