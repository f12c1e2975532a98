"""Standard formats in and out: IIIF Presentation 3, ALTO 4, PAGE XML 2019, plain text, collection archives.

One module per format (reading and writing kept apart), plus ``xmlsafe`` for the one
safe way this project parses XML and validates it against the official schemas that
ship in ``schemas/`` (ALTO 4.4 + XLink, PAGE 2019-07-15, each with its licence).
"""
