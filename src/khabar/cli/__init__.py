"""The `khabar` command: one subcommand per pipeline stage, explicit inputs and outputs.

Importing this package registers every command group on the one `app` (the console script
`khabar = khabar.cli:app`).
"""

from khabar.cli import (  # noqa: F401
    annotations,
    backend,
    corpus,
    dataset,
    events,
    model,
    publish,
    review,
    studio,
    transfer,
)
from khabar.cli.app import app, order_commands

order_commands()


def main() -> None:
    """Console entry point."""
    app()
