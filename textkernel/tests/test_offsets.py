from __future__ import annotations

import pytest

from textkernel.offsets import (
    codepoint_span_to_utf16,
    codepoint_to_utf16,
    utf16_length,
    utf16_span_to_codepoints,
    utf16_to_codepoint,
)

EMOJI = "😀"  # U+1F600, outside the BMP: two UTF-16 code units
MATH_A = "𝐀"  # U+1D400


def test_bmp_text_offsets_are_identical():
    text = "Chi phí đào tạo tăng 12%."
    for offset in range(len(text) + 1):
        assert utf16_to_codepoint(text, offset) == offset
        assert codepoint_to_utf16(text, offset) == offset
    assert utf16_length(text) == len(text)


def test_astral_character_before_the_span():
    text = f"{EMOJI} Officials said 120 people came."
    start_cp = text.index("120")
    end_cp = start_cp + len("120 people")
    # In the browser the emoji counts twice, so everything after it is shifted by one.
    start_16, end_16 = start_cp + 1, end_cp + 1
    assert utf16_span_to_codepoints(text, start_16, end_16) == (start_cp, end_cp)
    assert codepoint_span_to_utf16(text, start_cp, end_cp) == (start_16, end_16)
    assert text[start_cp:end_cp] == "120 people"


def test_astral_character_inside_the_span():
    text = f"The score was {MATH_A}{EMOJI} to nil."
    start_cp = text.index(MATH_A)
    end_cp = text.index(" to")
    assert end_cp - start_cp == 2  # two code points ...
    start_16 = codepoint_to_utf16(text, start_cp)
    end_16 = codepoint_to_utf16(text, end_cp)
    assert end_16 - start_16 == 4  # ... four UTF-16 units
    assert (start_16, end_16) == (start_cp, end_cp + 2)
    assert utf16_span_to_codepoints(text, start_16, end_16) == (start_cp, end_cp)


def test_offset_inside_a_surrogate_pair_is_rejected():
    text = f"a{EMOJI}b"  # UTF-16: a=0, high=1, low=2, b=3
    assert [utf16_to_codepoint(text, o) for o in (0, 1, 3, 4)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="surrogate"):
        utf16_to_codepoint(text, 2)
    with pytest.raises(ValueError, match="surrogate"):
        utf16_to_codepoint(f"{EMOJI}{EMOJI}", 3)


@pytest.mark.parametrize("offset", [-1, 5, 100])
def test_utf16_offset_out_of_range(offset):
    with pytest.raises(ValueError):
        utf16_to_codepoint(f"a{EMOJI}b", offset)  # 4 units long: 0..4 are valid


@pytest.mark.parametrize("offset", [-1, 4, 100])
def test_codepoint_offset_out_of_range(offset):
    with pytest.raises(ValueError):
        codepoint_to_utf16(f"a{EMOJI}b", offset)  # 3 code points: 0..3 are valid


@pytest.mark.parametrize("offset", ["3", 1.0, None, True])
def test_non_integer_offsets_are_rejected(offset):
    with pytest.raises(ValueError):
        utf16_to_codepoint("abcdef", offset)
    with pytest.raises(ValueError):
        codepoint_to_utf16("abcdef", offset)


def test_round_trip_over_mixed_text():
    text = f"x{EMOJI}y{MATH_A}{MATH_A}z ệ\n{EMOJI}"
    units = text.encode("utf-16-le")
    assert utf16_length(text) == len(units) // 2
    for cp in range(len(text) + 1):
        u = codepoint_to_utf16(text, cp)
        # Same prefix in both counts.
        assert units[: 2 * u].decode("utf-16-le") == text[:cp]
        assert utf16_to_codepoint(text, u) == cp


def test_long_text_with_astral_characters_converts_at_the_end():
    # Speed is measured by bench scripts; here only that a long text converts exactly.
    text = ("Một đoạn văn bản dài " + EMOJI + " với ký tự ngoài BMP. ") * 500  # ~20k chars
    assert len(text) > 20_000
    end_16 = utf16_length(text)
    assert end_16 == len(text) + 500
    assert utf16_span_to_codepoints(text, end_16 - 10, end_16) == (len(text) - 10, len(text))
    assert codepoint_to_utf16(text, len(text)) == end_16
