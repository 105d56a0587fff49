"""Search snippets (textkernel.snippet): the best paragraph, the window around the matches, and
matching that ignores case and diacritics, Vietnamese above all."""

from __future__ import annotations

import unicodedata

import pytest

from textkernel.snippet import ELLIPSIS, fold, snippet, terms_pattern


def _marked(found) -> list[str]:
    return [found.text[start:end] for start, end in found.matches]


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Đào TẠO", "dao tao"), ("chi phí đào tạo", "chi phi dao tao"), ("Nguyễn Thị Ánh", "nguyen thi anh"),
     ("DeepSeek-R1", "deepseek-r1"), ("ø ł ı", "o l i")],
)  # fmt: skip
def test_fold_drops_case_and_diacritics(text, folded):
    assert fold(text) == folded
    assert fold(unicodedata.normalize("NFD", text)) == folded


@pytest.mark.parametrize("terms", [["dao", "tao"], ["đào", "tạo"], ["ĐÀO", "TẠO"], ["đảo", "tào"]])
def test_terms_match_every_accented_form(terms):
    pattern = terms_pattern(terms)
    text = "Chi phí đào tạo, ĐÀO TẠO lại; dao tao; Đảo Tào"
    assert pattern.findall(text) == ["đào", "tạo", "ĐÀO", "TẠO", "dao", "tao", "Đảo", "Tào"]
    assert pattern.findall("Bảo tàng đàoo tạon") == []  # whole words only


def test_the_paragraph_with_most_query_words_is_chosen_not_the_first():
    body = (
        "Đoạn mở đầu nói về chi tiết khác.\n"
        "\n"
        "Đoạn hai nhắc đến phí dịch vụ.\n"
        "\n"
        "Đoạn ba: chi phí đào tạo chỉ 6 triệu USD.\n"
    )
    found = snippet(body, ["chi", "phi", "dao", "tao"])
    assert found.text == "Đoạn ba: chi phí đào tạo chỉ 6 triệu USD."
    # "chỉ" is "chi" without its diacritics, so it is marked too, as the search matched it.
    assert _marked(found) == ["chi", "phí", "đào", "tạo", "chỉ"]


def test_a_long_paragraph_is_cut_around_the_matches_on_word_boundaries():
    filler = " ".join(f"từ{i}" for i in range(80))
    body = f"{filler} rồi Nvidia mất 600 tỷ USD trong một ngày {filler}\n"
    found = snippet(body, ["nvidia"], chars=120, before=30)
    assert found.text.startswith(ELLIPSIS + " ") and found.text.endswith(" " + ELLIPSIS)
    assert _marked(found) == ["Nvidia"]
    inner = found.text.removeprefix(ELLIPSIS + " ").removesuffix(" " + ELLIPSIS)
    assert inner in body and len(inner) <= 120
    assert body[body.index(inner) - 1] == " "  # cut at a space, not inside a word
    assert body[body.index(inner) + len(inner)] == " "


def test_the_window_covers_the_most_distinct_words():
    filler = " ".join(f"x{i}" for i in range(60))
    body = f"chi {filler} chi phí đào tạo {filler}\n"
    found = snippet(body, ["chi", "phi", "dao", "tao"], chars=100, before=20)
    assert _marked(found) == ["chi", "phí", "đào", "tạo"]


def test_without_a_match_in_the_body_the_first_paragraph_shows():
    found = snippet("\nĐoạn đầu tiên.\nĐoạn hai.\n", ["nvidia"])
    assert found.text == "Đoạn đầu tiên." and found.matches == ()
    assert snippet("", ["nvidia"]).text == ""
    assert snippet("Chỉ một đoạn.\n", []).text == "Chỉ một đoạn."


def test_a_body_in_nfd_is_matched_too():
    body = unicodedata.normalize("NFD", "Họ nói chi phí đào tạo thấp.\n")
    assert [fold(word) for word in _marked(snippet(body, ["dao", "tao"]))] == ["dao", "tao"]


def test_regex_characters_in_terms_are_literal():
    found = snippet("Giá 2.048 GPU, không phải 2x048.\n", ["2.048"])
    assert _marked(found) == ["2.048"]
