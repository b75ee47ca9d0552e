"""``python -m scanner_client``: enroll, run, sync, status, print-commands."""

from scanner_client.cli import main

raise SystemExit(main())
