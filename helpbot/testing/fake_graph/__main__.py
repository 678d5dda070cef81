from helpbot.testing.fake_graph.cli import main

raise SystemExit(main())
