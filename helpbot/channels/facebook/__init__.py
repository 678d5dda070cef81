"""Facebook adapter: Messenger and the Page's comments, on the Graph API over aiohttp."""
