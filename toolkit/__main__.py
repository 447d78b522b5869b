"""`python -m toolkit` is the `toolkit` command."""

from toolkit.launch import main

main()
