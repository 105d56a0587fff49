"""The matrix's table body (curation/rendering.py): what each kind of row shows, quotes cut to
length, and everything a person typed escaped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services as annotation_services
from tests import factories
from curation import services
from curation.rendering import ELLIPSIS, clip

XSS = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("ngắn", 10, "ngắn"), ("chi phí đào tạo", 15, "chi phí đào tạo"),
     ("chi phí đào tạo", 8, "chi phí…"), ("", 3, "")],
)  # fmt: skip
def test_clip_keeps_short_text_and_ends_cut_text_with_an_ellipsis(text, limit, expected):
    assert clip(text, limit) == expected
    assert len(clip(text, limit)) <= limit


def test_matrix_rows_show_quotes_stances_conflicts_and_verdicts(client, curator, story, article):
    long_body = "Đầu. " + "Chi phí đào tạo " * 20 + f"{XSS} hết.\n"
    other = factories.make_article(story=story, position=1, body=long_body)
    claim_a = factories.make_claim(article=article, text="120 people")
    long_claim = factories.make_claim(article=other, start=5, end=len(long_body) - 1)
    loose = factories.make_claim(article=other, text=XSS)
    canonical = services.canonical_create(
        user=curator, story=story, statement=f"Turnout {XSS}", claims=[claim_a]
    )
    services.canonical_add_claims(
        user=curator, canonical=canonical, claims=[long_claim], stance="contradicts"
    )
    link, _ = annotation_services.link_create(
        author=curator, claim_a=claim_a, claim_b=long_claim, relation="contradicts"
    )
    services.verdict_set(user=curator, link=link, rated_claim=claim_a, rating="misleading",
                         evidence="The count was revised.")  # fmt: skip
    client.force_login(curator)
    html = client.get(reverse("curation:matrix", kwargs={"slug": story.slug})).content.decode()
    assert XSS not in html
    # The canonical row: its statement escaped, a conflict, the verdict, each member's stance.
    row = html[html.index(f'data-canonical="{canonical.pk}"'):]
    row = row[: row.index("</tr>")]
    assert "Turnout &lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert 'class="conflict-flag"' in row and "Verdict: misleading</span>" in row
    assert f'data-claim-link="{claim_a.pk}"' in row and "stance-asserts" in row
    assert f'data-claim-link="{long_claim.pk}"' in row and "stance-contradicts" in row
    # Quotes are cut to 160 characters, the cut marked.
    quote = row[row.index(f'data-claim-link="{long_claim.pk}"'):]
    quote = quote[quote.index("“") + 1 : quote.index("”")]
    assert len(quote) == 160 and quote.endswith(ELLIPSIS) and quote.startswith("Chi phí đào tạo")
    # The claim not gathered yet: a checkbox for the curator, its quote escaped.
    assert f'<input type="checkbox" name="claims" value="{loose.pk}"' in html
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;”" in html
