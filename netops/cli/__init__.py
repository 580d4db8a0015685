"""The ``netops`` command line: thin typer commands that call the subsystems."""
