"""The demo story belongs to the demo desk (issue 12: stories are owned by a desk or site-wide).

Databases made before stories had owners hold the demo story and the "Demo desk" team separately;
this gives the story to the desk. Elsewhere (no demo loaded) it changes nothing; ``load_demo``
sets the desk itself on new databases.
"""

from django.db import migrations

DEMO_SLUG = "deepseek-r1"
DEMO_DESK = "Demo desk"


def give_demo_story_to_desk(apps, schema_editor):
    Story = apps.get_model("articles", "Story")
    Team = apps.get_model("teams", "Team")
    desk = Team.objects.filter(name=DEMO_DESK).first()
    if desk is not None:
        Story.objects.filter(slug=DEMO_SLUG, desk__isnull=True).update(desk=desk)


def make_demo_story_site_wide(apps, schema_editor):
    Story = apps.get_model("articles", "Story")
    Story.objects.filter(slug=DEMO_SLUG, desk__name=DEMO_DESK).update(desk=None)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_story_desk"),
        ("teams", "0001_initial"),
    ]

    operations = [migrations.RunPython(give_demo_story_to_desk, make_demo_story_site_wide)]
