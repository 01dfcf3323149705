"""The ``assess`` console script: runs a command through the core's command line, and opens the
interface when asked (no arguments, or ``assess demo``). It lives here, not in ``assess/``, because
the core never imports the interface."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from assess.cli import OpenApp, dispatch

    result = dispatch(argv)
    if isinstance(result, OpenApp):
        from .app import run_app

        return run_app(result.db_url)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
