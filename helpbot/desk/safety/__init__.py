"""The safety net: signs of risk the intent did not cover (issue 13, TAXONOMY.md)."""
