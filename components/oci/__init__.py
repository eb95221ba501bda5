"""Oracle Cloud components."""
