"""The `ketamine-kg` command: argument parsing, progress output and exit codes only.

`parser` builds the argument parser, `commands` and `publishing` hold one function per
sub-command; `main` runs one and turns every `KetamineKgError` into `error: …` and its exit
status. Only this package prints.
"""

from __future__ import annotations

import os
import sys

from ketamine_kg.cli.commands import EXIT_OK
from ketamine_kg.cli.parser import parser
from ketamine_kg.errors import KetamineKgError


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: the process's); return the exit status."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KetamineKgError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early (`| head`): not a failure. Python's documented remedy:
        # point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
