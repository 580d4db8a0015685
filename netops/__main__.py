from netops.cli.main import main

raise SystemExit(main())
