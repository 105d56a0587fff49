"""Template tags for pages outside the newsroom that link into it (the home page)."""

from django import template

from annotations import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def may_create_story(context) -> bool:
    """Whether the signed-in user may create a story somewhere: in a desk they curate
    (``permissions.curates_any``), or site-wide (``permissions.can_create_story``)."""
    user = context["request"].user
    return permissions.can_create_story(user, None) or permissions.curates_any(user)
