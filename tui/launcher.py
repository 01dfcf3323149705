"""The ``assess`` console script: runs a command through the core's command line, and opens the
interface when asked (no arguments, or ``assess demo``). It lives here, not in ``assess/``, because
the core never imports the interface."""

from __future__ import annotations

import sys

from assess.cli import OpenApp, dispatch
from assess.cli.process import interface_thresholds, run_command_process
from assess.foundation.errors import AssessError


def run() -> int:
    """The console script's entry: ``main`` as the whole life of the process
    (``assess.cli.process``)."""
    return run_command_process(main)


def main(argv: list[str] | None = None) -> int:
    result = dispatch(argv)
    if isinstance(result, OpenApp):
        from tui.app import run_app

        interface_thresholds()  # the interface is the long-running program the defaults suit

        try:
            return run_app(result.db_url)
        except AssessError as e:  # e.g. a bad configuration file: one line naming file, line and key
            print(f"错误：{e}", file=sys.stderr)
            return 1
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
