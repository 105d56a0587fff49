"""Suggestions over the demo corpus: quality on the hand-labelled pairs, offsets, pruning."""

from __future__ import annotations

import json
import unicodedata
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.models import Article
from suggestions import engine
from suggestions.quality import evaluate, labels_load

DEMO = Path(__file__).resolve().parents[2] / "articles" / "demo" / "deepseek-r1"


def _demo_bodies() -> tuple[list[tuple[int, str]], dict[int, str]]:
    from textkernel.text import normalize_body

    files = sorted(DEMO.glob("*.txt"))
    bodies = [(i, normalize_body(f.read_text(encoding="utf-8"))) for i, f in enumerate(files)]
    return bodies, {i: f.name for i, f in enumerate(files)}


def test_demo_quality_on_the_labelled_pairs():
    bodies, files = _demo_bodies()
    found = engine.suggest(bodies, limit=None)
    precision, recall = evaluate(found, labels_load(), files, k=10)
    # Measured 1.0 and 0.86 (docs/benchmarks.md); the floors catch a regression.
    assert precision >= 0.8, precision
    assert recall >= 0.75, recall


def test_reasons_name_both_values_and_offsets_point_at_the_quotes():
    bodies, _ = _demo_bodies()
    text = dict(bodies)
    found = engine.suggest(bodies, limit=None)
    assert {s.relation for s in found} == {"agrees", "contradicts", "qualifies"}
    for s in found:
        assert s.a.article != s.b.article
        assert text[s.a.article][s.a.start : s.a.end] == s.a.quote
        assert text[s.b.article][s.b.start : s.b.end] == s.b.quote
    contradiction = next(s for s in found if s.relation == "contradicts" and "1,6 tỷ USD" in s.reason)
    assert "vs" in contradiction.reason and "triệu USD" in contradiction.reason


def test_sentences_with_nothing_in_common_are_never_scored(monkeypatch):
    """Pruning: unrelated sentences never reach the scorer (no all-pairs comparison)."""
    calls = []
    real = engine._cosine
    monkeypatch.setattr(engine, "_cosine", lambda a, b: calls.append(1) or real(a, b))
    bodies = [
        (1, "\n".join(f"Câu số {i} nói về chủ đề riêng biệt mã{i}a mã{i}b ở đây." for i in range(200))),
        (2, "\n".join(f"Một dòng khác hẳn với từ khoá kx{i}y kx{i}z trong bài." for i in range(200))),
    ]
    assert engine.suggest(bodies) == []
    assert len(calls) < 200 * 200 / 100


@pytest.mark.django_db
def test_suggest_command_prints_json_items_with_files_and_offsets(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", "--empty", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("suggest", "deepseek-r1", "--json", "--no-progress", stdout=out)
    items = json.loads(out.getvalue())
    assert items and {"relation", "score", "reason", "a", "b"} <= items[0].keys()
    bodies = dict(Article.objects.values_list("pk", "body"))
    files = dict(Article.objects.values_list("pk", "file_name"))
    for item in items:
        for side in ("a", "b"):
            span = item[side]
            assert set(span) == {"article", "file", "start", "end", "quote"}
            assert bodies[span["article"]][span["start"] : span["end"]] == span["quote"]
            assert span["file"] == files[span["article"]]
            assert unicodedata.is_normalized("NFC", span["quote"])
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.django_db
def test_suggest_command_unknown_story_is_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No story with the slug 'nope'"):
        call_command("suggest", "nope", "--json", stdout=StringIO())
