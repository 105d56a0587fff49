"""Input parsing for claim and link actions. Business rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from annotations.forms import ExplainedForm
from annotations.models import ClaimLink
RELATION_ERRORS = {
    "required": _("Choose a relation: agrees, contradicts or qualifies."),
    "invalid_choice": _(
        "Unknown relation “%(value)s”; choose agrees, contradicts or qualifies."
    ),
}


def _split_tags(value: str) -> list[str]:
    return [tag.strip() for tag in (value or "").replace(";", ",").split(",") if tag.strip()]


class ClaimCreateForm(ExplainedForm):
    start = forms.IntegerField(label=_("Start"), min_value=0)
    end = forms.IntegerField(label=_("End"), min_value=0)
    exact = forms.CharField(label=_("Selected text"), strip=False, required=False, max_length=10000)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000)
    offsets = forms.ChoiceField(
        choices=[("utf16", "utf16"), ("codepoint", "codepoint")], required=False
    )

    def clean_tags(self) -> list[str]:
        return _split_tags(self.cleaned_data["tags"])

    def clean_offsets(self) -> str:
        # Browsers count UTF-16 code units; that is the default on the wire.
        return self.cleaned_data["offsets"] or "utf16"


class ClaimEditForm(ExplainedForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000)
    version = forms.IntegerField(label=_("Version"), min_value=1, required=False)

    def clean_tags(self) -> list[str]:
        return _split_tags(self.cleaned_data["tags"])


class LinkCreateForm(ExplainedForm):
    claim = forms.IntegerField(label=_("Claim"), min_value=1)
    other = forms.IntegerField(label=_("Other claim"), min_value=1)
    relation = forms.ChoiceField(choices=ClaimLink.Relation.choices, error_messages=RELATION_ERRORS)
    rationale = forms.CharField(label=_("Rationale"), required=False, max_length=5000)


class LinkEditForm(ExplainedForm):
    relation = forms.ChoiceField(choices=ClaimLink.Relation.choices, error_messages=RELATION_ERRORS)
    rationale = forms.CharField(label=_("Rationale"), required=False, max_length=5000)
