"""memos.cli — the admin command line: a thin typer layer over the library."""
