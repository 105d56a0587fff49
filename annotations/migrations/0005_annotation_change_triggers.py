"""Triggers that append to the annotation change log (``AnnotationChange``) on every write to
claims and links, whoever makes it: the services, the admin, bulk updates or raw SQL.

Statement-level triggers with transition tables: one row per article touched by a statement, so
a bulk update of a thousand claims of one article appends one row. For a claim, the change is in
its article (claims never move: migration 0002); when its visibility, team or status changes,
the articles of the claims it is linked to change too (their link counts depend on it). For a
link, both claims' articles change. A renamed user changes the articles where they wrote claims
or links (marks and panels show authors' names).
"""

from django.conf import settings
from django.db import migrations

CHANGE = "annotations_annotationchange"

CLAIM_FUNCTION = f"""
CREATE FUNCTION annotations_claim_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {CHANGE} (article_id) SELECT DISTINCT article_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (article_id) SELECT DISTINCT article_id FROM old_rows;
    ELSE
        INSERT INTO {CHANGE} (article_id)
        SELECT article_id FROM new_rows
        UNION
        SELECT other.article_id
          FROM new_rows n
          JOIN old_rows o ON o.id = n.id
          JOIN annotations_claimlink l ON n.id IN (l.claim_a_id, l.claim_b_id)
          JOIN annotations_claim other
            ON other.id = CASE WHEN l.claim_a_id = n.id THEN l.claim_b_id ELSE l.claim_a_id END
         WHERE (n.visibility, n.team_id, n.status) IS DISTINCT FROM (o.visibility, o.team_id, o.status);
    END IF;
    RETURN NULL;
END
$$;
"""

LINK_FUNCTION = f"""
CREATE FUNCTION annotations_claimlink_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {CHANGE} (article_id)
        SELECT DISTINCT c.article_id FROM new_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE} (article_id)
        SELECT DISTINCT c.article_id FROM old_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id);
    ELSE
        INSERT INTO {CHANGE} (article_id)
        SELECT c.article_id FROM new_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
        UNION
        SELECT c.article_id FROM old_rows l
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id);
    END IF;
    RETURN NULL;
END
$$;
"""


def _triggers(table: str, function: str) -> str:
    name = table.removeprefix("annotations_")
    return f"""
CREATE TRIGGER {name}_inserted AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {name}_updated AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {name}_deleted AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


def _drop(table: str, function: str) -> str:
    name = table.removeprefix("annotations_")
    return "".join(
        f"DROP TRIGGER IF EXISTS {name}_{event} ON {table};\n"
        for event in ("inserted", "updated", "deleted")
    ) + f"DROP FUNCTION IF EXISTS {function}();\n"


def create_user_trigger(apps, schema_editor):
    users = schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
    schema_editor.execute(f"""
CREATE FUNCTION annotations_author_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {CHANGE} (article_id)
    SELECT c.article_id
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN annotations_claim c ON c.author_id = n.id
     WHERE n.username IS DISTINCT FROM o.username
    UNION
    SELECT c.article_id
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN annotations_claimlink l ON l.author_id = n.id
      JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
     WHERE n.username IS DISTINCT FROM o.username;
    RETURN NULL;
END
$$;
CREATE TRIGGER annotations_author_renamed AFTER UPDATE ON {users}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION annotations_author_renamed();
""")


def drop_user_trigger(apps, schema_editor):
    users = schema_editor.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS annotations_author_renamed ON {users};"
        " DROP FUNCTION IF EXISTS annotations_author_renamed();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_annotation_change"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            CLAIM_FUNCTION + _triggers("annotations_claim", "annotations_claim_changed"),
            _drop("annotations_claim", "annotations_claim_changed"),
        ),
        migrations.RunSQL(
            LINK_FUNCTION + _triggers("annotations_claimlink", "annotations_claimlink_changed"),
            _drop("annotations_claimlink", "annotations_claimlink_changed"),
        ),
        migrations.RunPython(create_user_trigger, drop_user_trigger),
    ]
