"""Pure helpers for the curator's tools (no database access).

- ``selectors``: the platform's annotation JSON (bodies, targets, selectors), validated;
- ``anchoring``: finding a quoted span again in a new text (re-anchoring);
- ``jsonld``: W3C Web Annotation JSON-LD, to and from the platform's JSON;
- ``w3c``: validation against the official W3C test-suite schemas (copied offline);
- ``alignment``: character and word alignment, CER/WER and confusion counts;
- ``rendering``: Markdown with citations to sanitised HTML.
"""
