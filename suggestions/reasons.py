"""Why a suggestion was made, in words a reader can check, in the reader's language.

The engine records each reason as data (``kind``, the measured thing, both values as the
articles write them) along with its English text; the page and the link rationale render the
data again in the active language, so a suggestion computed in the background reads in
Vietnamese for a Vietnamese reader. ``suggest --json`` keeps the English text.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

TEMPLATES = {
    "same": gettext_noop("both give %(what)s: %(a)s and %(b)s"),
    "rounded": gettext_noop("both give %(what)s, rounded differently: %(a)s vs %(b)s"),
    "differs": gettext_noop("both give %(what)s: %(a)s vs %(b)s"),
    "words": gettext_noop("nearly the same words (%(percent)s%% similar)"),
    # Issue 15: a paraphrase, shown by the two phrases closest in meaning.
    "phrases": gettext_noop("the same meaning: “%(a)s” ≈ “%(b)s”"),
}

#: What a topic (suggestions.quantities.TOPICS) measures, as a reason names it.
TOPIC_LABELS = {
    "training cost": gettext_noop("the training cost"),
    "market value": gettext_noop("a market value"),
    "price per token": gettext_noop("the price per token"),
    "investment": gettext_noop("the spending or investment"),
    "hardware": gettext_noop("the number of chips"),
    "model size": gettext_noop("the model size"),
    "cost": gettext_noop("a cost"),
    "date": gettext_noop("a date"),
}


def _same(text: str) -> str:
    return text


def reason_text(args: dict, *, translate: bool = True) -> str:
    """The reason in the active language (``translate``) or in English; "" for unknown data."""
    t = gettext if translate else _same
    template = TEMPLATES.get((args or {}).get("kind"))
    if template is None:
        return ""
    values = dict(args)
    if "topic" in values:
        values["what"] = t(TOPIC_LABELS.get(values["topic"], values["topic"]))
    try:
        return t(template) % values
    except (KeyError, TypeError, ValueError):
        return ""
