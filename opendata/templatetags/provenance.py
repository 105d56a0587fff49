"""``{% claim_note claim %}``: the reader's note line for the selected claim, with where the claim
came from when it was imported ("imported from Hypothesis, by acct:…, 2016-02-24") and its note
rendered in the format it arrived in (Markdown, sanitized). One query, for this one claim only."""

from __future__ import annotations

from django import template

from ..models import Provenance
from ..rendering import note_html

register = template.Library()


@register.inclusion_tag("opendata/_claim_note.html")
def claim_note(claim) -> dict:
    origin = Provenance.objects.filter(claim_id=claim.pk).first()
    return {
        "claim": claim,
        "origin": origin,
        "note": note_html(claim.note, origin.note_format if origin else "") if claim.note else "",
    }
