"""PyInstaller entry of the windowed Windows program (``contacts-migration-gui.exe``).

A windowed executable has no console, so it only ever runs the ``gui`` subcommand (the
Start-menu entry and the autostart entry start it); every other command, including the
children the GUI starts, runs through the console ``contacts-migration.exe`` beside it
(``contacts_migration.child.self_command``).
"""

import sys

from contacts_migration.cli import main

raise SystemExit(main(["gui", *sys.argv[1:]]))
