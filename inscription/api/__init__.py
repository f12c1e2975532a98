"""REST API of the inscription app."""
