"""`python -m ketamine_kg`: the `ketamine-kg` command."""

import sys

from ketamine_kg.cli import main

sys.exit(main())
