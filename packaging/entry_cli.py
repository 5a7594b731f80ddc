"""PyInstaller entry of the console program (``contacts-migration``): the CLI as installed."""

from contacts_migration.cli import main

raise SystemExit(main())
