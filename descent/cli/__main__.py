"""`python -m descent.cli`: the same as the `descent` console script."""

from descent.cli.app import main

if __name__ == "__main__":
    main()
