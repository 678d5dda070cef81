"""The desk: every policy decision (3.5-3.13) lives here, channel-free (DESIGN.md)."""
