"""``python -m changeflow.cli``: the same as the ``changeflow`` command."""

from changeflow.cli import main

if __name__ == "__main__":
    main()
