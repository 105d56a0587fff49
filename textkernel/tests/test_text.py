"""Article text as stored: normalising, hashing and paragraphs (no database)."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from textkernel.text import body_hash, normalize_body, normalize_quote, paragraphs

NFC = "chi phí đào tạo"
NFD = unicodedata.normalize("NFD", NFC)
DEMO = Path(__file__).resolve().parents[2] / "articles" / "demo" / "deepseek-r1"


# --- normalize_body ---------------------------------------------------------------------------


def test_normalize_body_crlf_and_cr_become_lf():
    assert normalize_body("a\r\nb\rc\n") == "a\nb\nc\n"


def test_normalize_body_nfd_becomes_nfc():
    assert NFD != NFC
    result = normalize_body(NFD)
    assert result == NFC + "\n"
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_body_strips_bom():
    assert normalize_body("\ufeffXin chào") == "Xin chào\n"


def test_normalize_body_strips_control_characters_but_keeps_tabs():
    assert normalize_body("a\x00b\x07c\x1bd\x7fe\tf") == "abcde\tf\n"


def test_normalize_body_trailing_blanks_and_final_newline():
    assert normalize_body("one  \n\n two\t\n\n\n") == "one\n\n two\n"


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\ufeff", "\x00\x01"])
def test_normalize_body_blank_is_empty_string(text):
    assert normalize_body(text) == ""


def test_normalize_body_is_idempotent():
    once = normalize_body("\ufeff" + NFD + "\r\nline two  \r")
    assert normalize_body(once) == once


def test_normalize_quote_matches_the_stored_body():
    body = normalize_body("Dòng một\r\n" + NFD + "\r\n")
    quote = normalize_quote("một\r\n" + NFD)
    assert quote in body
    assert quote == "một\n" + NFC


# --- body_hash --------------------------------------------------------------------------------


def test_body_hash_is_sha256_of_utf8():
    assert body_hash(NFC) == hashlib.sha256(NFC.encode("utf-8")).hexdigest()
    assert len(body_hash("")) == 64


def test_body_hash_differs_for_nfd_and_nfc():
    # Why bodies must be normalised before hashing: the same visible text, two hashes.
    assert body_hash(NFC) != body_hash(NFD)


# --- paragraphs -------------------------------------------------------------------------------

BODIES = [
    "Một\nHai\n",
    "Tiêu đề\n\n\nĐoạn  có hai khoảng trắng.\n\n\tThụt lề.\nCuối\n",
    "Chi phí đào tạo 🚀 emoji và ký tự 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n\n\n",
    "x",
]


@pytest.mark.parametrize("body", BODIES)
def test_paragraph_offsets_index_the_body(body):
    found = paragraphs(body)
    assert found
    for start, text in found:
        assert body[start : start + len(text)] == text
        assert text and "\n" not in text
    starts = [start for start, _text in found]
    assert starts == sorted(set(starts))


def test_paragraphs_skip_empty_lines():
    assert paragraphs("A\n\n\nB\n") == [(0, "A"), (4, "B")]


def test_paragraphs_of_the_demo_corpus_cover_every_line_with_text():
    files = sorted(DEMO.glob("*.txt"))
    assert len(files) == 5
    for path in files:
        body = normalize_body(path.read_text(encoding="utf-8"))
        found = paragraphs(body)
        assert len(found) == sum(1 for line in body.split("\n") if line.strip()) > 5
        for start, text in found:
            assert body[start : start + len(text)] == text
