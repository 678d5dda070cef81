"""The desk: every policy decision (3.5-3.13), channel-free and database-free (DESIGN.md).

front_desk.py takes an event; routing.py says who may do what and which feature handles
it; cases/, complaints/, community/, joining/, moderation/ and arguments/ hold the rules;
ports.py and records.py are all the desk asks of the world (docs/architecture.md)."""
