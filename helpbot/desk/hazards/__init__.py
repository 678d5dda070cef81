"""Awaab's Law: repairs that may be hazards, their detail dialogue and the hazard clock."""
