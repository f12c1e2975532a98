"""Full-text machinery per database: PostgreSQL tsvector trigger + GIN + pg_trgm, SQLite FTS5 mirror.

PostgreSQL: a BEFORE trigger fills ``vector`` from ``norm`` in the row's configuration
(french/english/simple), so every insert path (ORM, bulk_create, COPY) is indexed alike.
SQLite: an external-content FTS5 table over ``norm`` kept in step by triggers.
"""
from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE OR REPLACE FUNCTION search_entry_vector() RETURNS trigger AS $$
    BEGIN
        NEW.vector := to_tsvector(NEW.config::regconfig, coalesce(NEW.norm, ''));
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER search_entry_vector_trg BEFORE INSERT OR UPDATE OF norm, config ON search_searchentry
    FOR EACH ROW EXECUTE FUNCTION search_entry_vector()""",
    "CREATE INDEX search_entry_vector_gin ON search_searchentry USING gin (vector)",
    "CREATE INDEX search_entry_norm_trgm ON search_searchentry USING gin (norm gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_norm_trgm",
    "DROP INDEX IF EXISTS search_entry_vector_gin",
    "DROP TRIGGER IF EXISTS search_entry_vector_trg ON search_searchentry",
    "DROP FUNCTION IF EXISTS search_entry_vector()",
]
SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(norm, content='search_searchentry', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2")""",
    "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')",
    """CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, norm) VALUES (new.id, new.norm); END""",
    """CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, norm) VALUES ('delete', old.id, old.norm); END""",
    """CREATE TRIGGER search_fts_au AFTER UPDATE OF norm ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, norm) VALUES ('delete', old.id, old.norm);
        INSERT INTO search_fts(rowid, norm) VALUES (new.id, new.norm); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts_vocab",
    "DROP TABLE IF EXISTS search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
