"""Rebuild the sample files the intake tests read (run once; the files are committed).

    .venv/bin/python newsroom/tests/samples/make_samples.py
    # the encrypted .docx needs msoffcrypto-tool (not a project dependency), e.g. in a scratch venv:
    /tmp/venv/bin/python newsroom/tests/samples/make_samples.py --encrypt-docx

The .docx is written by python-docx, the .pdf by hand (one page, Helvetica) and encrypted by pypdf
(RC4-128, which pypdf writes without the cryptography package).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

HERE = Path(__file__).parent
TITLE = "Council approves the new river bridge"
PARAGRAPHS = [
    "The city council voted 31 to 4 on Tuesday to build a second bridge across the river.",
    "Construction is expected to start in March and to cost about 1.2 billion dollars.",
    "Opponents said the money would be better spent on buses and bicycle lanes.",
]


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.core_properties.author = "Jane Reporter"
    document.add_heading(TITLE, level=1)
    for paragraph in PARAGRAPHS:
        document.add_paragraph(paragraph)
    document.add_paragraph("Read more: Ten bridges that changed their cities")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes() -> bytes:
    lines = [TITLE, "", *PARAGRAPHS]
    text = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (" + TITLE.encode() + b") /Author (Jane Reporter) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )
    return bytes(out)


def encrypted_pdf(data: bytes) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="secret", owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_docx(data: bytes) -> bytes:
    import msoffcrypto
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    assert msoffcrypto.olefile.isOleFile(io.BytesIO(out.getvalue()))
    return out.getvalue()


def main() -> None:
    if "--encrypt-docx" in sys.argv:
        (HERE / "protected.docx").write_bytes(encrypted_docx((HERE / "article.docx").read_bytes()))
        return
    (HERE / "article.docx").write_bytes(docx_bytes())
    pdf = pdf_bytes()
    (HERE / "article.pdf").write_bytes(pdf)
    (HERE / "protected.pdf").write_bytes(encrypted_pdf(pdf))


if __name__ == "__main__":
    main()
