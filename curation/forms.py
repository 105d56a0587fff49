"""Input parsing for curation actions. Business rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from annotations.forms import ExplainedForm
from annotations.models import ClaimLink

from .models import REASON_MAX_CHARS, STATEMENT_MAX_CHARS, CanonicalMember, LinkReview, Verdict
from textkernel.params import parse_id


class IdsField(forms.Field):
    """Several integer ids from checkboxes (``name=5&name=7``) or one comma-separated value."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = value.split(",")
        ids = [parse_id(v) for v in value if str(v).strip()]
        if None in ids:
            raise forms.ValidationError(_("Ids must be whole numbers."))
        return sorted(set(ids))


class QueueFilterForm(ExplainedForm):
    story = forms.SlugField(label=_("Story"), required=False)
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)
    relation = forms.ChoiceField(
        label=_("Relation"), required=False,
        choices=[("", _("any relation")), *ClaimLink.Relation.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("any status")), *ClaimLink.Status.choices],
    )


class ReviewForm(ExplainedForm):
    links = IdsField(label=_("Links"), required=True)
    decision = forms.ChoiceField(label=_("Decision"), choices=LinkReview.Decision.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX_CHARS)


class CanonicalForm(ExplainedForm):
    claims = IdsField(label=_("Claims"), required=True)
    statement = forms.CharField(label=_("Statement"), required=False, max_length=STATEMENT_MAX_CHARS)
    canonical = forms.IntegerField(label=_("Canonical claim"), required=False)
    stance = forms.ChoiceField(
        label=_("Stance"), choices=CanonicalMember.Stance.choices, required=False
    )

    def clean_stance(self) -> str:
        return self.cleaned_data["stance"] or CanonicalMember.Stance.ASSERTS


class VerdictForm(ExplainedForm):
    rated_claim = forms.IntegerField(label=_("Claim rated"))
    rating = forms.ChoiceField(label=_("Rating"), choices=Verdict.Rating.choices)
    evidence = forms.CharField(label=_("Evidence"), max_length=REASON_MAX_CHARS)
    url = forms.CharField(label=_("Evidence URL"), required=False, max_length=500)


class ReattachForm(ExplainedForm):
    start = forms.IntegerField(label=_("Start"), min_value=0)
    end = forms.IntegerField(label=_("End"), min_value=0)
