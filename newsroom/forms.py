"""Forms for editing articles. Business rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from textkernel.text import normalize_body

from .selectors import orphans_preview

#: How many of the claims an edit would orphan the warning quotes.
ORPHANS_LISTED = 5


class ArticleAdminForm(forms.ModelForm):
    """The admin's article form, with a confirm step: an edit of the body that would orphan
    claims (their words cannot be found in the new text) is refused until the admin ticks
    “save anyway”, and the message lists the claims concerned."""

    orphan_ok = forms.BooleanField(
        label=_("Save anyway, orphaning the claims listed above"),
        required=False,
        help_text=_("Orphaned claims are kept with their links for curators to re-attach or "
                    "dismiss; they are never deleted."),
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not normalize_body(body):
            raise forms.ValidationError(_("The article text cannot be empty."), code="empty")
        return body

    def clean(self):
        data = super().clean()
        body = data.get("body")
        if self.instance.pk is None or body is None or "body" not in self.changed_data:
            return data
        orphans = orphans_preview(article=self.instance, new_body=normalize_body(body))
        if orphans and not data.get("orphan_ok"):
            listed = "; ".join(f"“{a.exact[:80]}”" for a in orphans[:ORPHANS_LISTED])
            more = len(orphans) - min(len(orphans), ORPHANS_LISTED)
            message = _(
                "This edit would orphan %(n)d claim(s): their words are no longer in the text "
                "(%(quotes)s%(more)s). Put the words back, or tick “save anyway”."
            ) % {"n": len(orphans), "quotes": listed,
                 "more": (_(" and %(m)d more") % {"m": more}) if more else ""}
            self.add_error(None, message)  # at the top of the form, where it is seen
            self.add_error("orphan_ok", _("Tick this to save anyway."))
        return data


class StoryForm(forms.Form):
    """A new story: its title, a note for readers, and the desk that owns it."""

    title = forms.CharField(label=_("Title"), max_length=300)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the story is about, for readers."),
    )  # fmt: skip
    desk = forms.ModelChoiceField(label=_("Desk"), queryset=None, required=False)
    language = forms.ChoiceField(
        label=_("Language of the story"), choices=[("vi", "Tiếng Việt"), ("en", "English")]
    )

    def __init__(self, *args, desks, site_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from teams.models import Team

        field = self.fields["desk"]
        field.queryset = Team.objects.filter(pk__in=[d.pk for d in desks]).order_by("name")
        field.required = not site_wide
        field.empty_label = _("Site-wide (staff curate it)") if site_wide else None


class ItemChoiceForm(forms.Form):
    """The metadata a curator checks for one article in the preview (prefix ``i<item pk>``)."""

    title = forms.CharField(label=_("Title"), max_length=500)
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    author = forms.CharField(label=_("Author"), max_length=200, required=False)
    published_on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    language = forms.CharField(label=_("Language"), max_length=16, required=False)
    translated_from = forms.CharField(label=_("Translated from"), max_length=200, required=False)
    original = forms.CharField(label=_("Translation of"), max_length=24, required=False)


class ArticleMetaForm(forms.ModelForm):
    """An article's metadata, changed through ``article_edit`` (not its text). ``siblings`` are
    the story's other articles as ``(pk, title)``, the choices for "translation of"."""

    source_name = forms.CharField(label=_("Source"), max_length=200, required=False)
    translation_of = forms.TypedChoiceField(
        label=_("Translation of"), required=False, coerce=int, empty_value=None
    )

    class Meta:
        from articles.models import Article

        model = Article
        fields = ["title", "author", "published_on", "language", "translated_from"]
        widgets = {"published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, siblings: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["translation_of"].choices = [("", _("— not a translation in this story —"))] + [
            (pk, title) for pk, title in siblings if pk != self.instance.pk
        ]
        self.fields["translation_of"].initial = self.instance.translation_of_id
        if self.instance.source_id:
            self.fields["source_name"].initial = self.instance.source.name
