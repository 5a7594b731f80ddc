from contacts_migration.cli import main

raise SystemExit(main())
