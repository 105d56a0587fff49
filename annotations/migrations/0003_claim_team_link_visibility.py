"""Teams for claims; visibility and team for links (issue 4)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0002_pair_triggers'),
        ('articles', '0002_models'),
        ('teams', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Before teams, 'team' claims behaved as private; they have no team to name, so they
        # become what they were in effect (the new constraint needs a team on every team claim).
        migrations.RunSQL(
            "UPDATE annotations_claim SET visibility = 'private' WHERE visibility = 'team'",
            migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name='claim',
            name='team',
            field=models.ForeignKey(blank=True, help_text="The team whose members see the claim (visibility 'team' only).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='teams.team'),
        ),
        migrations.AddField(
            model_name='claimlink',
            name='team',
            field=models.ForeignKey(blank=True, help_text="The team whose members see the link (visibility 'team' only).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claim_links', to='teams.team'),
        ),
        migrations.AddField(
            model_name='claimlink',
            name='visibility',
            field=models.CharField(choices=[('private', 'Private'), ('team', 'Team'), ('public', 'Public')], default='public', help_text='Who may see the link (never wider than its claims: a link is shown only to people who may see both claims as well).', max_length=16),
        ),
        migrations.AlterField(
            model_name='claim',
            name='visibility',
            field=models.CharField(choices=[('private', 'Private'), ('team', 'Team'), ('public', 'Public')], default='public', help_text='Who may see the claim: its author, the members of its team, or everyone.', max_length=16),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('team__isnull', False), ('visibility', 'team')), models.Q(models.Q(('visibility', 'team'), _negated=True), ('team__isnull', True)), _connector='OR'), name='claim_team_iff_team_visibility'),
        ),
        migrations.AddConstraint(
            model_name='claimlink',
            constraint=models.CheckConstraint(condition=models.Q(('visibility__in', ['private', 'team', 'public'])), name='claimlink_known_visibility'),
        ),
        migrations.AddConstraint(
            model_name='claimlink',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('team__isnull', False), ('visibility', 'team')), models.Q(models.Q(('visibility', 'team'), _negated=True), ('team__isnull', True)), _connector='OR'), name='claimlink_team_iff_team_visibility'),
        ),
    ]
