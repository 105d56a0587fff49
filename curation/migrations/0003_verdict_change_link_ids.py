"""A verdict write names its link in the change log (``AnnotationChange.link_ids``, annotations
migration 0006): the reader reads that link again, with whether it has a verdict now."""

import importlib

from django.db import migrations

OLD = importlib.import_module("curation.migrations.0002_verdict_annotation_change")

FUNCTION = """
CREATE OR REPLACE FUNCTION curation_verdict_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO annotations_annotationchange (article_id, claim_ids, link_ids)
        SELECT c.article_id, '{}'::bigint[], array_agg(DISTINCT v.link_id) FROM old_rows v
          JOIN annotations_claimlink l ON l.id = v.link_id
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
         GROUP BY c.article_id;
    ELSE
        INSERT INTO annotations_annotationchange (article_id, claim_ids, link_ids)
        SELECT c.article_id, '{}'::bigint[], array_agg(DISTINCT v.link_id) FROM new_rows v
          JOIN annotations_claimlink l ON l.id = v.link_id
          JOIN annotations_claim c ON c.id IN (l.claim_a_id, l.claim_b_id)
         GROUP BY c.article_id;
    END IF;
    RETURN NULL;
END
$$;
"""

#: Migration 0002's function, as it was (its triggers stay).
RESTORE = OLD.FUNCTION.split("CREATE TRIGGER")[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0002_verdict_annotation_change"),
        ("annotations", "0006_annotation_change_rows"),
    ]

    operations = [migrations.RunSQL(FUNCTION, RESTORE)]
