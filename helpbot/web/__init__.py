"""One aiohttp application: Telegram webhook, web chat, health (DESIGN.md)."""
