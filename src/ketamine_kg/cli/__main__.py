"""`python -m ketamine_kg.cli`: the `ketamine-kg` command."""

import sys

from ketamine_kg.cli import main

sys.exit(main())
