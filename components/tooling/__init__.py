"""The tooling that drives the library: the stack program, the offline plan, coverage, the mock runtime."""
