"""PostgreSQL: a vocabulary of the index's distinct words, with a trigram index, for fuzzy queries.

Why: pg_trgm ``word <% norm`` over 1,000,000 texts took 750 ms at p95 (docs/search.md); the same
trigram search over the distinct words (tens of thousands) takes a few ms, and the words found
are then matched exactly through the tsvector GIN index. An AFTER INSERT statement trigger with a
transition table keeps the vocabulary current for every insert path (ORM, bulk_create, COPY);
entries are never updated in place (``norm`` changes by delete + insert), and words are never
removed (a stale word only widens a fuzzy expansion to words that match nothing). The trigram
index over ``norm`` is dropped: nothing queries it any more, and it was the costliest to keep.
SQLite keeps expanding fuzzy words through its FTS5 vocabulary (``search_fts_vocab``).
"""
from django.db import migrations

PG_FORWARD = [
    "CREATE TABLE search_word (word varchar(100) PRIMARY KEY)",
    "CREATE INDEX search_word_trgm ON search_word USING gin (word gin_trgm_ops)",
    """CREATE OR REPLACE FUNCTION search_words_add() RETURNS trigger AS $$
    BEGIN
        INSERT INTO search_word (word)
        SELECT DISTINCT w FROM new_rows, regexp_split_to_table(new_rows.norm, '[^[:alnum:]]+') AS w
        WHERE w <> '' AND length(w) <= 100
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER search_words_trg AFTER INSERT ON search_searchentry REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION search_words_add()""",
    """INSERT INTO search_word (word)
    SELECT DISTINCT w FROM search_searchentry, regexp_split_to_table(norm, '[^[:alnum:]]+') AS w
    WHERE w <> '' AND length(w) <= 100 ON CONFLICT DO NOTHING""",
    "ANALYZE search_word",  # without statistics the planner scans the table instead of its trigram index
    "DROP INDEX IF EXISTS search_entry_norm_trgm",
]
PG_BACKWARD = [
    "CREATE INDEX IF NOT EXISTS search_entry_norm_trgm ON search_searchentry USING gin (norm gin_trgm_ops)",
    "DROP TRIGGER IF EXISTS search_words_trg ON search_searchentry",
    "DROP FUNCTION IF EXISTS search_words_add()",
    "DROP TABLE IF EXISTS search_word",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_text_entries")]

    operations = [migrations.RunPython(_run({"postgresql": PG_FORWARD}), _run({"postgresql": PG_BACKWARD}))]
