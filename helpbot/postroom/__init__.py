"""The one message path (DESIGN.md): inbox -> desk -> outbox -> sender.

Every inbound event, whatever its channel, is stored before it is acknowledged
(``inbox``), claimed by one worker and handled in order within its conversation
(``worker``); what the desk decides commits in the same transaction as the event's
"done" mark, with the messages it wants sent (``outbox``); the ``sender`` carries
those out in order per chat, waits out rate limits, retries what can be retried
and reports what could not be delivered.
"""
