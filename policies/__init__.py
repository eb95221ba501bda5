"""The backup-topology CrossGuard policy pack, and the rules it shares with the offline plan."""
