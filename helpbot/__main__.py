from helpbot.cli import main

raise SystemExit(main())
