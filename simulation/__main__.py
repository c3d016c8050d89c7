"""`python -m simulation ...` is the same command line as `careersim ...`."""

import sys


def main() -> None:
    """The `careersim` command. Ctrl-C while the libraries load ends quietly too."""
    try:
        from simulation.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was written\n")
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
