"""``python -m helpbot.testing.fake_telegram``: run the fake in its own process."""

from helpbot.testing.fake_telegram.cli import main

raise SystemExit(main())
