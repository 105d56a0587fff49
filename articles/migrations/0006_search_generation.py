"""A counter that moves whenever a searchable row changes, so cached search results can be keyed
by it (articles.selectors.search_generation).

A sequence, not a table: nextval is never rolled back and takes no row lock, so a rolled-back
write still moves it (harmless: one cache miss) and concurrent writers never wait on it. Two
triggers per table: one per statement, at once (so a search later in the same transaction, as in
tests, sees its own write), and one deferred per row, at commit (so a search that ran between the
first bump and the commit, and cached what it saw then, is keyed by a number that is already
stale when the write becomes visible). TRUNCATE has its own statement trigger.
"""

from django.db import migrations

TABLES = ("articles_article", "articles_story", "articles_source")

FORWARD = [
    "CREATE SEQUENCE articles_search_generation",
    """
    CREATE FUNCTION articles_search_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM nextval('articles_search_generation');
        RETURN NULL;
    END $$
    """,
]
BACKWARD = []
for table in TABLES:
    FORWARD += [
        f"CREATE TRIGGER {table}_search_gen AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION articles_search_generation_bump()",
        f"CREATE CONSTRAINT TRIGGER {table}_search_gen_commit AFTER INSERT OR UPDATE OR DELETE"
        f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        f" EXECUTE FUNCTION articles_search_generation_bump()",
    ]
    BACKWARD += [
        f"DROP TRIGGER IF EXISTS {table}_search_gen ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_search_gen_commit ON {table}",
    ]
BACKWARD += [
    "DROP FUNCTION IF EXISTS articles_search_generation_bump()",
    "DROP SEQUENCE IF EXISTS articles_search_generation",
]


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_article_url_translation_of")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
