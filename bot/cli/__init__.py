"""The command groups of the `kesu` command line, one module each."""
