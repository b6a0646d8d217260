"""`python -m khabar.cli`: the same app as the `khabar` console script."""

from khabar.cli import main

main()
