"""`python -m toolkit` is the `toolkit` command."""

from toolkit.cli.launch import main

main()
