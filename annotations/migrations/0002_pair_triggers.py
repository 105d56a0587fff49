"""Database guards the check constraints cannot express, because they look at other rows:

* a link joins claims in two *different* articles of the *same* story (a constraint trigger on
  ``annotations_claimlink``; the services give the friendly message first), and
* a claim never moves to another article (its offsets only mean something in its own body), so a
  link checked at insert time stays valid.

Both raise SQLSTATE 23514 (check_violation), which Django surfaces as IntegrityError.
"""

from django.db import migrations

LINK_PAIR_SQL = """
CREATE FUNCTION annotations_claimlink_check_pair() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    article_a bigint;
    article_b bigint;
    story_a bigint;
    story_b bigint;
BEGIN
    SELECT c.article_id, a.story_id INTO article_a, story_a
      FROM annotations_claim c JOIN articles_article a ON a.id = c.article_id
     WHERE c.id = NEW.claim_a_id;
    SELECT c.article_id, a.story_id INTO article_b, story_b
      FROM annotations_claim c JOIN articles_article a ON a.id = c.article_id
     WHERE c.id = NEW.claim_b_id;
    IF article_a = article_b THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'claimlink_different_articles',
            MESSAGE = 'A claim link must join claims in two different articles.';
    END IF;
    IF story_a <> story_b THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'claimlink_same_story',
            MESSAGE = 'A claim link must join claims in articles of the same story.';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER claimlink_check_pair
    AFTER INSERT OR UPDATE OF claim_a_id, claim_b_id ON annotations_claimlink
    FOR EACH ROW EXECUTE FUNCTION annotations_claimlink_check_pair();
"""

LINK_PAIR_REVERSE_SQL = """
DROP TRIGGER IF EXISTS claimlink_check_pair ON annotations_claimlink;
DROP FUNCTION IF EXISTS annotations_claimlink_check_pair();
"""

CLAIM_ARTICLE_SQL = """
CREATE FUNCTION annotations_claim_keep_article() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.article_id <> OLD.article_id THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'claim_article_immutable',
            MESSAGE = 'A claim cannot move to another article.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER claim_keep_article
    BEFORE UPDATE OF article_id ON annotations_claim
    FOR EACH ROW EXECUTE FUNCTION annotations_claim_keep_article();
"""

CLAIM_ARTICLE_REVERSE_SQL = """
DROP TRIGGER IF EXISTS claim_keep_article ON annotations_claim;
DROP FUNCTION IF EXISTS annotations_claim_keep_article();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(LINK_PAIR_SQL, LINK_PAIR_REVERSE_SQL),
        migrations.RunSQL(CLAIM_ARTICLE_SQL, CLAIM_ARTICLE_REVERSE_SQL),
    ]
