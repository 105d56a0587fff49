"""Stories get an owner: a desk (team), or none for site-wide stories managed by staff."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0002_models'),
        ('teams', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='story',
            name='desk',
            field=models.ForeignKey(blank=True, help_text='The desk (team) that owns the story: its curators and admins curate it. Empty: a site-wide story, curated by staff.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='stories', to='teams.team'),
        ),
    ]
