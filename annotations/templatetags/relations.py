"""The relation vocabulary in templates: each relation's sign and translated name, from
``annotations.models`` (``ClaimLink.Relation``, ``RELATION_ICONS``), so no template spells them."""

from django import template
from django.utils.html import format_html

from annotations.models import RELATION_ICONS, ClaimLink

register = template.Library()


@register.filter
def relation_icon(relation: str) -> str:
    """The sign of ``relation`` (✓, ✗ or ≈)."""
    return RELATION_ICONS.get(relation, "")


@register.filter
def relation_label(relation: str) -> str:
    """The translated name of ``relation``."""
    try:
        return str(ClaimLink.Relation(relation).label)
    except ValueError:
        return relation


@register.simple_tag
def relation_badge(relation: str):
    """``<span class="rel rel-…">`` with the sign (hidden from screen readers) and the name."""
    return format_html(
        '<span class="rel rel-{}"><span aria-hidden="true">{}</span> {}</span>',
        relation, relation_icon(relation), relation_label(relation),
    )


@register.simple_tag
def relation_choices():
    """``(value, label, icon)`` for every relation, in the vocabulary's order."""
    return [(value, label, RELATION_ICONS[value]) for value, label in ClaimLink.Relation.choices]
