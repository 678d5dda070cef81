"""helpbot: SHAL's tenant helpdesk bot.

Flow (DESIGN.md): channel adapter -> Inbound event -> desk (policy) -> actions -> adapter.
"""

__version__ = "0.1.0"
