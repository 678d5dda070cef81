"""Channel adapters: translate platform payloads to Inbound events and execute actions.

No policy here (DESIGN.md): a decision made in an adapter would differ between channels.
"""
