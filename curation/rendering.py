"""The claim matrix's table body, built in Python: a 1,000-claim story has ~5,000 cells, and the
template engine spends ~0.2 ms on each (nested loops, filters, {% translate %}); string building
with escaping does the same in a fraction. The markup is the same the template would give."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .selectors import STANCE_ICONS, Matrix


def _quote(text: str, limit: int) -> str:
    return escape(Truncator(text).chars(limit))


def matrix_body(*, matrix: Matrix, can_curate: bool, canonical_url, stance_labels: dict) -> SafeString:
    """``<tr>`` rows of the matrix: canonical rows, a divider, then unclustered rows."""
    reader = escape(matrix.story.get_absolute_url())
    language = escape(matrix.story.language)
    silent = (
        '<td class="m-cell stance-silent"><span class="stance stance-silent">'
        f'<span aria-hidden="true">·</span> {escape(stance_labels["silent"])}</span></td>'
    )
    conflict = (
        f'<span class="conflict-flag" title="{escape(_("Sources disagree"))}">'
        f'<span aria-hidden="true">⚠</span> {escape(_("conflict"))}</span>'
    )
    divider = (
        f'<tr class="m-divider"><th scope="colgroup" colspan="{len(matrix.articles) + 1}">'
        f"{escape(_('Claims not gathered yet'))}</th></tr>"
    )
    out: list[str] = []
    divided = False
    for row in matrix.rows:
        classes = "m-row" + (" is-conflict" if row.conflict else "")
        if row.canonical is None:
            classes += " is-loose"
            if not divided:
                out.append(divider)
                divided = True
            claim = row.claim
            head = ""
            if can_curate:
                label = escape(_("Gather “%(quote)s”") % {"quote": Truncator(claim.exact).chars(60)})
                head = (
                    f'<input type="checkbox" name="claims" value="{claim.pk}" id="pick-{claim.pk}"'
                    f' form="gather-form"> <label for="pick-{claim.pk}" class="visually-hidden">'
                    f"{label}</label>"
                )
            head += f'<span class="m-loose-quote" lang="{language}">“{_quote(claim.exact, 90)}”</span>'
            out.append(f'<tr class="{classes}"><th scope="row" class="m-statement">{head}')
        else:
            url = escape(canonical_url(row.canonical.pk))
            out.append(
                f'<tr class="{classes}" data-canonical="{row.canonical.pk}">'
                f'<th scope="row" class="m-statement"><a href="{url}">'
                f"{escape(row.canonical.statement)}</a>"
            )
        if row.conflict:
            out.append(conflict)
        for verdict in row.verdicts:
            rating = escape(verdict.get_rating_display())
            out.append(
                f'<span class="verdict verdict-{escape(verdict.rating)}">'
                f"{escape(_('Verdict: %(rating)s') % {'rating': rating})}</span>"
            )
        out.append("</th>")
        for cell in row.cells:
            if not cell.claims:
                out.append(silent)
                continue
            cell_lang = escape(cell.article.language)
            out.append(f'<td class="m-cell stance-{cell.stance}">')
            for claim, stance in cell.items:
                out.append(
                    f'<a class="m-quote" href="{reader}?claim={claim.pk}#claim-{claim.pk}"'
                    f' data-claim-link="{claim.pk}" lang="{cell_lang}">'
                    f'<span class="stance stance-{stance}"><span aria-hidden="true">'
                    f"{STANCE_ICONS[stance]}</span> {escape(stance_labels[stance])}</span>"
                    f"“{_quote(claim.exact, 160)}”</a>"
                )
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text was escaped above
