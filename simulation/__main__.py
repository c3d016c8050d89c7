"""`python -m simulation ...` is the same command line as `careersim ...`."""

from .cli import main

main()
