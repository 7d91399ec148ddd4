"""One module per ``emergent-py`` subcommand (found automatically by ``emergent_py.cli``)."""
