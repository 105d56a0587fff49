"""The annotation change log (schema): one row per write to an article's claims or links."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0003_claim_team_link_visibility'),
    ]

    operations = [
        migrations.CreateModel(
            name='AnnotationChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('article_id', models.BigIntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['article_id', '-id'], name='annchange_article_id_idx')],
            },
        ),
    ]
