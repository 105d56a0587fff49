"""Extensions and the diacritic-insensitive text search configuration, before any table."""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

CREATE_CONFIG = """
CREATE TEXT SEARCH CONFIGURATION parallax_unaccent (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION parallax_unaccent
    ALTER MAPPING FOR asciiword, word, hword_part, hword, asciihword, hword_asciipart, numword, numhword
    WITH unaccent, simple;
"""

DROP_CONFIG = "DROP TEXT SEARCH CONFIGURATION IF EXISTS parallax_unaccent;"


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunSQL(CREATE_CONFIG, DROP_CONFIG),
    ]
