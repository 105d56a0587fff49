"""The change log names the rows each write touched (``AnnotationChange.claim_ids`` and
``link_ids``), so the reader brings its cached rows up to date by reading those rows by id
(reader/rowdelta.py), deletions included, instead of scanning every claim and link of the
article and counting them.

The triggers are those of migration 0005, appending the same change rows (one per article a
statement touches), now with the ids:

- a claim written: its id, in its article; when its visibility, team or status changes, also
  its links' ids, in the articles of both their claims (a link shows both ends' facts);
- a link written: its id, in both its claims' articles;
- an author renamed: their claims' ids in those claims' articles, their links' ids in both
  claims' articles.

The verdict trigger (curation migration 0003) adds the link's id.
"""

import importlib

import django.contrib.postgres.fields
from django.conf import settings
from django.db import migrations, models

OLD = importlib.import_module("annotations.migrations.0005_annotation_change_triggers")
CHANGE = "annotations_annotationchange"
EMPTY = "'{}'::bigint[]"

CLAIM_FUNCTION = f"""
CREATE OR REPLACE FUNCTION annotations_claim_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT article_id, array_agg(id), {EMPTY} FROM new_rows GROUP BY article_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT article_id, array_agg(id), {EMPTY} FROM old_rows GROUP BY article_id;
    ELSE
        -- A claim's links show its visibility, team and status at both ends: when those
        -- change, its links are named in both articles too.
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT article_id,
               coalesce(array_agg(DISTINCT claim_id) FILTER (WHERE claim_id IS NOT NULL), {EMPTY}),
               coalesce(array_agg(DISTINCT link_id) FILTER (WHERE link_id IS NOT NULL), {EMPTY})
          FROM (
            SELECT article_id, id AS claim_id, NULL::bigint AS link_id FROM new_rows
            UNION ALL
            SELECT c.article_id, NULL, l.id
              FROM new_rows n
              JOIN old_rows o ON o.id = n.id
              JOIN annotations_claimlink l ON n.id IN (l.claim_a_id, l.claim_b_id)
              JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
             WHERE (n.visibility, n.team_id, n.status) IS DISTINCT FROM (o.visibility, o.team_id, o.status)
          ) touched
         GROUP BY article_id;
    END IF;
    RETURN NULL;
END
$$;
"""

LINK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION annotations_claimlink_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT c.article_id, {EMPTY}, array_agg(DISTINCT l.id) FROM new_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
         GROUP BY c.article_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT c.article_id, {EMPTY}, array_agg(DISTINCT l.id) FROM old_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
         GROUP BY c.article_id;
    ELSE
        INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
        SELECT c.article_id, {EMPTY}, array_agg(DISTINCT l.id)
          FROM (SELECT id, claim_a_id, claim_b_id FROM new_rows
                UNION ALL SELECT id, claim_a_id, claim_b_id FROM old_rows) l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
         GROUP BY c.article_id;
    END IF;
    RETURN NULL;
END
$$;
"""


def replace_user_function(apps, schema_editor):
    # The trigger on the user table (migration 0005) stays as it is; only its function changes.
    schema_editor.execute(f"""
CREATE OR REPLACE FUNCTION annotations_author_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
    SELECT c.article_id, array_agg(c.id), {EMPTY}
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN annotations_claim c ON c.author_id = n.id
     WHERE n.username IS DISTINCT FROM o.username
     GROUP BY c.article_id;
    INSERT INTO {CHANGE} (article_id, claim_ids, link_ids)
    SELECT c.article_id, {EMPTY}, array_agg(DISTINCT l.id)
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN annotations_claimlink l ON l.author_id = n.id
      JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
     WHERE n.username IS DISTINCT FROM o.username
     GROUP BY c.article_id;
    RETURN NULL;
END
$$;
""")


def restore_user_function(apps, schema_editor):
    OLD.drop_user_trigger(apps, schema_editor)
    OLD.create_user_trigger(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0005_annotation_change_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="annotationchange",
            name="claim_ids",
            field=django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), null=True, size=None),
        ),
        migrations.AddField(
            model_name="annotationchange",
            name="link_ids",
            field=django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), null=True, size=None),
        ),
        # The writing transaction (not in the model: only SQL reads it). A change's id is taken
        # when it is written, not when it commits, so a reader can see id 11 before id 10
        # commits; reader/rowdelta.py also asks for every change a transaction still running
        # when it last read (``xid`` from that read's snapshot xmin on) may have written.
        # Nullable, so adding it rewrites nothing; rows from before have none.
        migrations.RunSQL(
            f"ALTER TABLE {CHANGE} ADD COLUMN xid xid8;"
            f" ALTER TABLE {CHANGE} ALTER COLUMN xid SET DEFAULT pg_current_xact_id();"
            f" CREATE INDEX annchange_article_xid_idx ON {CHANGE} (article_id, xid);",
            f"DROP INDEX IF EXISTS annchange_article_xid_idx; ALTER TABLE {CHANGE} DROP COLUMN IF EXISTS xid;",
        ),
        migrations.RunSQL(CLAIM_FUNCTION, OLD.CLAIM_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")),
        migrations.RunSQL(LINK_FUNCTION, OLD.LINK_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")),
        migrations.RunPython(replace_user_function, restore_user_function),
    ]
