"""A verdict write changes the annotation version of the articles of its link's two claims (as a
link write does, annotations migration 0005): the reader marks a claim whose contradiction has a
verdict as settled, and caches what it draws under those versions."""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION curation_verdict_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO annotations_annotationchange (article_id)
        SELECT DISTINCT c.article_id FROM old_rows v
          JOIN annotations_claimlink l ON l.id = v.link_id
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id);
    ELSE
        INSERT INTO annotations_annotationchange (article_id)
        SELECT DISTINCT c.article_id FROM new_rows v
          JOIN annotations_claimlink l ON l.id = v.link_id
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER verdict_inserted AFTER INSERT ON curation_verdict
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION curation_verdict_changed();
CREATE TRIGGER verdict_updated AFTER UPDATE ON curation_verdict
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION curation_verdict_changed();
CREATE TRIGGER verdict_deleted AFTER DELETE ON curation_verdict
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION curation_verdict_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS verdict_inserted ON curation_verdict;
DROP TRIGGER IF EXISTS verdict_updated ON curation_verdict;
DROP TRIGGER IF EXISTS verdict_deleted ON curation_verdict;
DROP FUNCTION IF EXISTS curation_verdict_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0001_curation"),
        ("annotations", "0005_annotation_change_triggers"),
    ]

    operations = [migrations.RunSQL(FUNCTION, DROP)]
