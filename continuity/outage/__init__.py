"""Outage detection, outage notices and test calls (see ``plugin`` for the wiring)."""
