"""OpenStack components."""
