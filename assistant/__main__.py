"""`python -m assistant serve|ask|ingest|evaluate …`, the same as the `jueding-qa` console script."""

from assistant.cli import main

raise SystemExit(main())
