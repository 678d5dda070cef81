"""Understanding what a tenant wrote: intent, knowledge-base answer, personal data.

Wraps spaCy. The pipeline is trained from ``intents/`` by ``helpbot train``;
nothing trained is committed (DESIGN.md).
"""
