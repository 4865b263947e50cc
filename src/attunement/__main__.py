"""``python -m attunement``: the same as the ``attunement`` command."""

from attunement.cli import main

if __name__ == "__main__":
    main()
