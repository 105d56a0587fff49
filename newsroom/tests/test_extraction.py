"""Reading what a curator brings: saved pages, one real sample file per type, pasted text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from newsroom import extraction

SAMPLES = Path(__file__).parent / "samples"
PAGES = Path(__file__).parent / "pages"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_html_page_text_and_metadata():
    found = extraction.extract_html((PAGES / "theguardian.com.academics.html").read_bytes())
    assert found.title.startswith("Thousands of UK academics")
    assert found.author == "Richard Adams"
    assert found.published_on == date(2020, 1, 20)
    assert found.site_name == "The Guardian"
    assert "casual" in found.text
    assert "\r" not in found.text


def test_html_file():
    found = extraction.extract_file(name="article.html", data=sample("article.html"))
    assert "Parasite" in found.title
    assert found.author == "Jill Serjeant"


def test_txt_file_keeps_vietnamese_and_flags_boilerplate():
    found = extraction.extract_file(name="article.txt", data=sample("article.txt"))
    assert found.title == "Hội đồng thành phố thông qua cây cầu mới"
    assert extraction.detect_language(found.text) == "vi"
    flags = extraction.boilerplate_flags(found.text)
    lines = found.text.split("\n")
    assert {lines[int(i)] for i in flags} == {"Bình luận (0)"}
    assert extraction.credited_outlet(found.text, known=[]) == ("Financial Times", "")


def test_md_file_loses_heading_marks_and_flags_image_markdown():
    found = extraction.extract_file(name="article.md", data=sample("article.md"))
    assert found.title == "Río de la ciudad: el consejo aprueba un nuevo puente"
    assert "**" not in found.text
    flagged = [found.text.split("\n")[int(i)] for i in extraction.boilerplate_flags(found.text)]
    assert flagged == ["![Foto del río](https://example.org/rio.jpg)"]
    assert extraction.detect_language(found.text) == "es"


def test_docx_file():
    found = extraction.extract_file(name="article.docx", data=sample("article.docx"))
    assert found.title == "Council approves the new river bridge"
    assert found.author == "Jane Reporter"
    assert "31 to 4" in found.text


def test_pdf_file():
    found = extraction.extract_file(name="article.pdf", data=sample("article.pdf"))
    assert found.title == "Council approves the new river bridge"
    assert "1.2 billion dollars" in found.text


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("protected.pdf", sample("protected.pdf"), "protected"),
        ("protected.docx", sample("protected.docx"), "protected"),
        ("not-really.docx", sample("not-really.docx"), "type"),  # a PDF named .docx
        ("fake.pdf", sample("article.txt"), "type"),  # text named .pdf
        ("image.html", b"\x89PNG\r\n\x1a\n" + bytes(100), "binary"),
        ("latin.txt", sample("latin.txt"), "encoding"),
        ("empty.txt", b"  \n ", "empty"),
        ("notes.odt", b"PK\x03\x04", "type"),
    ],
)
def test_bad_files_get_a_clear_message(name, data, code):
    with pytest.raises(ValidationError) as caught:
        extraction.extract_file(name=name, data=data)
    assert caught.value.code == code
    assert caught.value.messages[0]


def test_file_over_the_size_limit(settings):
    settings.NEWSROOM_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        extraction.extract_file(name="big.txt", data=b"word " * 300)
    assert caught.value.code == "too_big"


def test_page_without_article_text():
    with pytest.raises(ValidationError) as caught:
        extraction.extract_html(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    assert caught.value.code == "no_text"


def test_empty_paste():
    with pytest.raises(ValidationError) as caught:
        extraction.extract_paste(" \n\t ")
    assert caught.value.code == "empty"


def test_near_duplicates():
    text = (PAGES / "reuters.com.parasite.html").read_bytes()
    a = extraction.extract_html(text).text
    b = "Syndicated copy.\n" + a + "\nRead more: other stories"
    c = extraction.extract_html((PAGES / "vice.com.amazon.html").read_bytes()).text
    assert extraction.resemblance(extraction.shingles(a), extraction.shingles(b)) > 0.9
    assert extraction.resemblance(extraction.shingles(a), extraction.shingles(c)) < 0.1


def test_html_file_in_its_own_declared_charset():
    page = (
        "<html><head><meta charset='windows-1252'><title>Café society</title></head><body><article>"
        + "".join(f"<p>The café on corner {n} served crème brûlée to every guest who asked for it, "
                  f"{n} times a day, while the owners argued about the price of sugar.</p>" for n in range(4))
        + "</article></body></html>"
    ).encode("cp1252")
    found = extraction.extract_file(name="page.html", data=page)
    assert "crème brûlée" in found.text


def test_pdf_lines_are_joined_back_into_paragraphs():
    page = (
        "Council approves the bridge\n"
        "By Jane Reporter\n"
        "The city council voted 31 to 4 on Tuesday to build a second bridge across\n"
        "the river, after a debate that lasted until well past midnight on the day.\n"
        "Opponents said the money would be better spent on buses and bicycle lanes\n"
        "in the poorer districts of the city.\n"
    )
    assert extraction.reflow(page).split("\n") == [
        "Council approves the bridge",
        "By Jane Reporter",
        "The city council voted 31 to 4 on Tuesday to build a second bridge across the river, "
        "after a debate that lasted until well past midnight on the day.",
        "Opponents said the money would be better spent on buses and bicycle lanes in the poorer "
        "districts of the city.",
        "",
    ]


GERMAN = ("futurezone", "heise", "netzpolitik", "spiegel", "sueddeutsche", "zeit")


def test_every_saved_page_gives_text_metadata_and_its_language():
    for page in sorted(PAGES.glob("*.html")):
        found = extraction.extract_html(page.read_bytes())
        expected = "de" if page.name.startswith(GERMAN) else "fr" if "lanouvelle" in page.name else "en"
        assert extraction.detect_language(found.text) == expected, page.name
        assert found.title and found.site_name, page.name


def test_title_line_finds_a_heading_that_repeats_the_title():
    text = "Vui lòng tắt trình chặn quảng cáo.\n\nCầu mới bắc qua sông Hồng\n\nHội đồng đã thông qua."
    assert extraction.title_line(text, "Cầu mới bắc qua sông Hồng", after=[0]) == 2
    assert extraction.title_line(text, "cầu mới bắc qua SÔNG HỒNG", after=[0]) == 2
    assert extraction.title_line(text, "Cầu mới bắc qua sông Hồng") is None  # the ad line comes first
    assert extraction.title_line(text, "Một tiêu đề khác", after=[0]) is None
    assert extraction.title_line("Hội đồng đã thông qua.\nChi phí.", "Hội đồng đã thông qua.") is None  # a lede
    assert extraction.title_line("Nghị quyết: \"Cầu mới\"\nThân bài.", 'Nghị quyết: "Cầu mới"') == 0
    assert extraction.title_line("", "Tiêu đề") is None
