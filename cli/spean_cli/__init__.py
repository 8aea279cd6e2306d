"""The `spean` command line."""
