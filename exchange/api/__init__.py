"""REST views for the standard formats in and out."""
