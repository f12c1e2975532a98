"""REST API of the archive app."""
