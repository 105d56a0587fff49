"""Boilerplate lines and source credits, on the five captured demo articles and on generic cases.

The demo's sources.json says in prose what each captured text carries besides the article
("lines 1-5 are an ad-blocker notice", "everything from '- Cùng chuyên mục' on is a list of
unrelated articles", ...); the expected line numbers below are read from those notes and the
files, 1-based like the notes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textkernel import boilerplate as bp

DEMO = Path(__file__).resolve().parents[2] / "articles" / "demo" / "deepseek-r1"


def _demo(name: str) -> str:
    return (DEMO / name).read_text(encoding="utf-8")


def _flagged(text: str) -> dict[int, str]:
    """1-based line number -> reason."""
    return {flag.line + 1: flag.reason for flag in bp.detect(text)}


def test_demo_metadata_names_the_files_tested_here():
    files = {a["file"] for a in json.loads((DEMO / "sources.json").read_text())["articles"]}
    assert files == {
        "000_8b880dc3f4488daa.txt", "001_6118ba46ddbd8a61.txt", "002_ca4d763cd007e124.txt",
        "003_37305f7216b119fa.txt", "004_31292ebad1c7a73f.txt",
    }  # fmt: skip


def test_markettimes_ad_notice_dateline_and_original_link():
    # "lines 1-5 are an ad-blocker notice, not the article" (line 2 and 5 are blank).
    flagged = _flagged(_demo("000_8b880dc3f4488daa.txt"))
    assert flagged == {
        1: bp.AD_NOTICE, 3: bp.AD_NOTICE, 4: bp.AD_NOTICE,
        8: bp.DATELINE,  # "Markettimes 1 Ngày trước"
        76: bp.SOURCE_LINK,  # "Xem bản gốc"
    }  # fmt: skip


def test_sforum_related_list_shortcode_and_comment_counter():
    flagged = _flagged(_demo("001_6118ba46ddbd8a61.txt"))
    assert flagged == {
        47: bp.RELATED, 48: bp.RELATED, 49: bp.RELATED, 50: bp.RELATED,  # "Xem thêm:" + 3 items
        51: bp.SHORTCODE,  # [Product_Listing ...]
        53: bp.COMMENTS,  # "Bình luận (0)"
    }  # fmt: skip


def test_an_article_without_boilerplate_has_no_flags():
    assert _flagged(_demo("002_ca4d763cd007e124.txt")) == {}
    assert _flagged(_demo("004_31292ebad1c7a73f.txt")) == {}


def test_nha_dau_tu_images_and_everything_from_cung_chuyen_muc_on():
    text = _demo("003_37305f7216b119fa.txt")
    flagged = _flagged(text)
    total = len(text.rstrip("\n").split("\n"))
    assert total == 89
    assert {n for n, r in flagged.items() if r == bp.IMAGE} == {7, 16, 27}
    assert {n for n, r in flagged.items() if r == bp.RELATED} == set(range(33, total + 1))
    # The last line of the article proper stays.
    assert 32 not in flagged


def test_stripping_the_flags_keeps_the_article_whole():
    text = _demo("003_37305f7216b119fa.txt")
    stripped = bp.strip_lines(text, [flag.line for flag in bp.detect(text)])
    assert stripped.startswith("Thấy gì sau cú hích của DeepSeek?\n")
    assert stripped.endswith("cơ sở hạ tầng điện toán AI của mình.")
    assert "Cùng chuyên mục" not in stripped and "![](" not in stripped
    # Every line that was kept is a line of the original, in order.
    original = text.split("\n")
    kept = stripped.split("\n")
    positions = [original.index(line) for line in kept]
    assert positions == sorted(positions)


def test_demo_credits():
    markettimes = bp.attribution(_demo("000_8b880dc3f4488daa.txt"))
    assert markettimes is not None
    assert (markettimes.outlet, markettimes.line + 1, markettimes.translated) == (
        "Financial Times", 74, None,  # "Theo: Financial Times", found above "Xem bản gốc"
    )  # fmt: skip
    ft = bp.attribution(_demo("004_31292ebad1c7a73f.txt"))
    assert ft is not None
    assert (ft.outlet, ft.line + 1, ft.translated) == ("Financial Times", 57, True)
    for name in ("001_6118ba46ddbd8a61.txt", "002_ca4d763cd007e124.txt", "003_37305f7216b119fa.txt"):
        assert bp.attribution(_demo(name)) is None, name


def test_flag_spans_are_the_lines():
    text = _demo("001_6118ba46ddbd8a61.txt")
    for flag in bp.detect(text):
        assert text[flag.start : flag.end] == text.split("\n")[flag.line]


# --- generic cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("We noticed you're using an ad blocker. Please disable it to keep reading.", bp.AD_NOTICE),
        ("Vui lòng tắt trình chặn quảng cáo để tiếp tục đọc bài.", bp.AD_NOTICE),
        ("Hỗ trợ nội dung miễn phí", bp.AD_NOTICE),
        ("Xem thêm:", bp.RELATED),
        ("- Cùng chuyên mục", bp.RELATED),
        ("Tin liên quan", bp.RELATED),
        ("Related articles", bp.RELATED),
        ("Read more: How DeepSeek trained R1 for $5.6m", bp.RELATED),
        ("Xem thêm: Giá vàng hôm nay tăng mạnh", bp.RELATED),
        ("Bình luận (0)", bp.COMMENTS),
        ("12 bình luận", bp.COMMENTS),
        ("Comments (12)", bp.COMMENTS),
        ('[Product_Listing categoryid="2197" title="Laptop AI"]', bp.SHORTCODE),
        ('[caption id="attachment_1" align="alignnone"]', bp.SHORTCODE),
        ("[/caption]", bp.SHORTCODE),
        ("![](https://example.org/a.jpg)", bp.IMAGE),
        ("![Ảnh minh họa](https://example.org/a.jpg)", bp.IMAGE),
        ('<img src="a.jpg" alt="">', bp.IMAGE),
        ("Ảnh: Reuters", bp.IMAGE),
        ("Xem bản gốc", bp.SOURCE_LINK),
        ("Read the original article", bp.SOURCE_LINK),
        ("Markettimes 1 Ngày trước", bp.DATELINE),
        ("2 giờ trước", bp.DATELINE),
        ("Thứ hai, 27/01/2025 14:30 (GMT+7)", bp.DATELINE),
        ("Updated 3 hours ago", bp.DATELINE),
        ("Công nghệ - 06/02/2025 08:10", bp.DATELINE),
        ("Chia sẻ Facebook Zalo", bp.SHARE),
        ("Share on Twitter", bp.SHARE),
        ("Tags: AI, DeepSeek, Nvidia", bp.TAGS),
        ("Từ khóa: trí tuệ nhân tạo", bp.TAGS),
    ],
)
def test_line_reason(line, reason):
    assert bp.line_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "",
        "DeepSeek R1 chỉ cần 2.000 chip chuyên dụng, trong khi các mô hình tương tự của Mỹ cần 16.000.",
        # An article about advertising is not an ad notice: long, and not addressed to the reader.
        "Các hãng quảng cáo lo ngại khi ngày càng nhiều người dùng cài trình chặn quảng cáo trên "
        "điện thoại, theo một báo cáo của eMarketer công bố năm 2024.",
        "- Giá thuê GPU H100 giảm 30% trong quý IV.",  # a list item, out of context
        "Theo: Financial Times",  # a credit, not boilerplate
        "Tạm kết",
        "[1]",
        "Bình luận của ông Liang cho thấy điều đó.",
        "Vào năm 2021, Liang Wenfeng bắt đầu mua hàng nghìn chip.",
    ],
)
def test_article_lines_are_not_flagged(line):
    assert bp.line_reason(line) is None


def test_a_bulleted_list_in_the_body_stays():
    text = (
        "DeepSeek công bố ba điểm chính:\n"
        "- Chi phí huấn luyện 5,6 triệu USD.\n"
        "- 2.048 GPU H800.\n"
        "- Mã nguồn mở.\n"
        "Các chuyên gia vẫn hoài nghi về con số này.\n"
    )
    assert bp.detect(text) == []


def test_an_inline_see_also_in_the_body_flags_that_line_only():
    text = (
        "Đoạn một của bài viết, với đủ chữ để là văn xuôi thật sự.\n"
        "Xem thêm: Giá vàng hôm nay tăng mạnh\n"
        "Đoạn hai tiếp tục câu chuyện về chi phí huấn luyện mô hình.\n"
        "Đoạn ba nói về phản ứng của thị trường chứng khoán Mỹ.\n"
        "Đoạn bốn kết luận.\n"
        "Đoạn năm bổ sung.\n"
    )
    assert _flagged(text) == {2: bp.RELATED}


def test_headlines_after_a_heading_at_the_end_are_the_list():
    text = (
        "Bài viết kết thúc ở đây.\n\n"
        "Tin liên quan\n"
        "Nvidia mất 600 tỷ USD vốn hóa trong một ngày\n"
        "OpenAI cáo buộc DeepSeek dùng dữ liệu của mình\n"
    )
    assert _flagged(text) == {3: bp.RELATED, 4: bp.RELATED, 5: bp.RELATED}


def test_prose_after_a_heading_ends_the_list():
    # A heading word used as a section title, followed by paragraphs: only the heading goes.
    text = (
        "Đọc thêm\n"
        "Đây là một đoạn văn dài của bài viết, tiếp tục phân tích chi phí của DeepSeek R1.\n"
        "Đoạn thứ hai của bài viết cũng vậy, không phải danh sách tin khác.\n"
        "Đoạn thứ ba của bài viết nói thêm về GPU.\n"
        "Đoạn thứ tư của bài viết nói thêm về thị trường.\n"
    )
    assert _flagged(text) == {1: bp.RELATED}


def test_english_listing_with_teasers_and_dates():
    text = (
        "The last paragraph of the story.\n"
        "More from Tech\n"
        "Nvidia loses $600bn in a day\n"
        "The chipmaker's shares fell 17 per cent.\n"
        "Markets - 27/01/2025 18:00\n"
        "OpenAI says DeepSeek used its outputs\n"
        "Tech - 2 days ago\n"
    )
    assert _flagged(text) == {n: bp.RELATED for n in range(2, 8)}


def test_thanks_next_to_an_ad_notice_is_part_of_it():
    text = "Please turn off your ad blocker.\n\nThank you!\n\nThe headline\n\nThank you!\n"
    assert _flagged(text) == {1: bp.AD_NOTICE, 3: bp.AD_NOTICE}


def test_strip_lines_closes_gaps():
    text = "a\n\nb\n\nc\n\nd\n"
    assert bp.strip_lines(text, [2]) == "a\n\nc\n\nd"
    assert bp.strip_lines(text, [0, 6]) == "b\n\nc"


@pytest.mark.parametrize(
    ("tail", "outlet", "url", "translated"),
    [
        ("Nguồn: Reuters", "Reuters", "", None),
        ("(Theo Bloomberg)", "Bloomberg", "", None),
        ("Theo VnExpress", "VnExpress", "", None),
        ("Dịch từ The Economist", "The Economist", "", True),
        ("Lược dịch từ: Nikkei Asia", "Nikkei Asia", "", True),
        ("Translated from Le Monde", "Le Monde", "", True),
        ("Nguồn: https://www.ft.com/content/abc123", "", "https://www.ft.com/content/abc123", None),
        ("Theo: Financial Times (https://www.ft.com/content/x)", "Financial Times",
         "https://www.ft.com/content/x", None),
        ("The Wall Street Journal", "The Wall Street Journal", "", True),
    ],
)
def test_attribution_forms(tail, outlet, url, translated):
    text = f"Tiêu đề\n\nĐoạn văn của bài viết, đủ dài để là văn xuôi.\n\n{tail}\n"
    found = bp.attribution(text)
    assert found is not None
    assert (found.outlet, found.url, found.translated) == (outlet, url, translated)
    assert text[found.start : found.end] == tail


@pytest.mark.parametrize(
    "tail",
    [
        "Theo một số nhà quan sát, những tiến bộ của DeepSeek chưa đủ quan trọng.",
        "Tạm kết",
        "Tuổi Trẻ",  # a Vietnamese name is not taken for a foreign outlet...
        "Thái Linh",  # ...nor a person's name
        "Nguồn:",
    ],
)
def test_not_attributions(tail):
    text = f"Tiêu đề\n\nĐoạn văn của bài viết, đủ dài để là văn xuôi.\n\n{tail}\n"
    assert bp.attribution(text) is None


def test_a_known_outlet_on_the_last_line_counts():
    text = "Tiêu đề\n\nĐoạn văn của bài viết.\n\nTuổi Trẻ\n"
    found = bp.attribution(text, known=["Tuổi Trẻ", "Dân Trí"])
    assert found is not None and found.outlet == "Tuổi Trẻ" and found.translated is None


def test_a_credit_in_the_middle_of_the_text_is_not_the_attribution():
    text = "Theo: Reuters\n" + "\n".join(f"Đoạn {n} của bài viết dài." for n in range(10)) + "\n"
    assert bp.attribution(text) is None


def test_a_one_line_text_has_no_bare_outlet_credit():
    assert bp.attribution("Financial Times") is None
