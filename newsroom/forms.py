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
