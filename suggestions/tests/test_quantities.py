"""The Vietnamese quantity parser on real forms from the demo corpus, and on junk."""

from __future__ import annotations

import pytest

from suggestions.quantities import find_quantities, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [("2.048", 2048), ("5,6", 5.6), ("5.6", 5.6), ("1.000", 1000), ("3.982.742", 3982742),
     ("1,3", 1.3), ("2,19", 2.19), ("1.4", 1.4), ("90.000", 90000), ("1.234,5", 1234.5),
     ("1,000,000", 1_000_000), ("12", 12)],
)  # fmt: skip
def test_parse_number_vietnamese_and_translated_forms(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "1..2", "1,2,3,4,5", "abc", "1.2.3"])
def test_parse_number_refuses_junk(text):
    assert parse_number(text) is None


def _one(text: str):
    found = [q for q in find_quantities(text) if q.unit not in ("date", "year")]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("DeepSeek tuyên bố đã sử dụng chỉ 2.048 chip Nvidia H800", 2048, "chip"),
        ("và 5,6 triệu USD để huấn luyện một mô hình", 5.6e6, "USD"),
        ("bước đào tạo cuối cùng cho R1 chỉ tốn 5.6 triệu USD.", 5.6e6, "USD"),
        ("đã phải bỏ ra 1,6 tỷ USD chi phí phần cứng", 1.6e9, "USD"),
        ("DEEKSEEK ĐÃ CHI ÍT NHẤT 1,6 TỶ USD", 1.6e9, "USD"),
        ("làm bốc hơi 1.000 tỷ USD vốn hóa thị trường", 1e12, "USD"),
        ("chứng kiến 1 nghìn tỷ USD bị xóa sổ", 1e12, "USD"),
        ("với giá 2,19 đô la cho mỗi triệu mã thông báo", 2.19, "USD"),
        ("họ chỉ tính 1.4 xu cho mỗi", 0.014, "USD"),
        ("Chỉ số Nasdaq Composite giảm 3,1%", 3.1, "%"),
        ("khoảng 50.000 GPU Hopper", 50000, "chip"),
        ("một mô hình với 671 tỷ tham số", 671e9, "parameters"),
        ("ước đạt 3.982.742 tỷ đồng", 3.982742e15, "VND"),
        ("Nvidia \"bay màu\" 600 tỷ đô la", 600e9, "USD"),
    ],
)
def test_quantities_from_the_corpus(text, value, unit):
    q = _one(text)
    assert q.value == pytest.approx(value)
    assert q.unit == unit
    assert text[q.start : q.end] == q.text


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("chỉ tốn 6 triệu USD để đào tạo", "training cost"),
        ("làm bốc hơi 1.000 tỷ USD vốn hóa thị trường", "market value"),
        ("với giá 2,19 đô la cho mỗi triệu mã thông báo", "price per token"),
        ("đã đầu tư hơn 500 triệu USD vào phát triển AI", "investment"),
        ("DEEKSEEK ĐÃ CHI ÍT NHẤT 1,6 TỶ USD VÀ DÙNG 50.000 GPU NVIDIA", "investment"),
        ("2.048 chip Nvidia H800", "hardware"),
    ],
)
def test_what_is_measured_comes_from_the_words_around(text, topic):
    assert find_quantities(text)[0].topic == topic


def test_dates_and_years_are_dates_not_amounts():
    found = find_quantities("Vào ngày 27/1 mới đây, và năm 2023 nữa, 20/1/2025")
    assert [(q.unit, q.text) for q in found] == [
        ("date", "27/1"), ("year", "năm 2023"), ("date", "20/1/2025")
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Trong năm 2024 DeepSeek phát triển",  # a year
        "Gọi 0912.345.678 hoặc 028 3822 1234 để đặt mua",  # phone numbers
        "https://nhadautu.vn/2025/02/08/deepseek-1.000-ty.jpg",  # a URL with numbers
        "ảnh: /uploads/2025/02/08/deepseek-600-ty-usd.png",  # an image path
        "Llama 3.1 của Meta, Grok 2 và o1",  # version numbers, no unit
        "Bình luận (0)",
    ],
)
def test_junk_is_not_a_quantity(text):
    assert [q for q in find_quantities(text) if q.unit not in ("date", "year")] == []
