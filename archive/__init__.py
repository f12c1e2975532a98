"""The holdings: collections, documents, pages, geometry, texts; ingest and permissions."""
