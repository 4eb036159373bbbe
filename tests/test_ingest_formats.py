"""Formats, encodings and bad input: detected, not assumed; rejected with one line, never a traceback."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from ingest import parse_file
from ingest.errors import (
    DecodeError,
    EmptyDocumentError,
    FileTooLargeError,
    IngestError,
    UnsupportedFileError,
)

from conftest import HUHEHAOTE, ROOT, XIZANG

SEED_TEXT = XIZANG.read_text(encoding="utf-8")
BODY = SEED_TEXT.split("---", 2)[2]  # without front matter: title, note, articles


def _articles(path):
    return [c.article for c in parse_file(path).articles()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / f"xizang-{encoding}.txt"
    path.write_bytes(BODY.encode(encoding))
    parsed = parse_file(path)
    assert [a.article for a in parsed.articles()] == list(range(1, 19))
    assert parsed.document.title.startswith("西藏自治区人民代表大会常务委员会")
    assert "“枫桥经验”" in parsed.articles()[5].text


def test_html_page_strips_navigation_and_scripts(tmp_path):
    body = "".join(f"<p>{line}</p>" for line in HUHEHAOTE.read_text(encoding="utf-8").splitlines())
    html = (
        "<!DOCTYPE html><html><head><title>站点</title><script>var x = '一、脚本';</script>"
        "<style>p{color:red}</style></head><body><nav>首页 | 政务公开</nav>"
        f"<div class='content'>{body}</div><footer>版权所有：某某网站 ICP备12345号</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    parsed = parse_file(path)
    assert parsed.document.source_format == "html"
    assert [a.article for a in parsed.articles()] == list(range(1, 18))
    joined = "\n".join(c.text for c in parsed.clauses)
    for noise in ("脚本", "color:red", "ICP备", "分享到", "发布日期"):
        assert noise not in joined


def test_docx(tmp_path):
    import docx

    document = docx.Document()
    for line in BODY.strip().splitlines():
        if line.strip():
            document.add_paragraph(line.strip().strip("*").lstrip("> "))
    path = tmp_path / "xizang.docx"
    document.save(path)
    parsed = parse_file(path)
    assert parsed.document.source_format == "docx"
    assert [a.article for a in parsed.articles()] == list(range(1, 19))
    assert len(parsed.articles()[15].paragraphs) == 5


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium prints the test PDF (.ci/run installs it)")
def test_pdf_with_text_layer(tmp_path):
    lines = [ln.strip().strip("*").lstrip("> ") for ln in BODY.strip().splitlines() if ln.strip()]
    html = "<html><meta charset='utf-8'><body>" + "".join(f"<p>{ln}</p>" for ln in lines[:12]) + "</body></html>"
    page = tmp_path / "x.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "xizang.pdf"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'ud'}",
         f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    parsed = parse_file(pdf)
    assert parsed.document.source_format == "pdf"
    articles = parsed.articles()
    assert [a.article for a in articles][:5] == [1, 2, 3, 4, 5]
    assert "⼀" not in parsed.body and "检察机关应当坚持以习近平新时代" in articles[0].text


def test_no_numbering_becomes_preamble_with_warning(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("关于某事的说明\n这是一段没有编号的文字。\n还有一段。\n", encoding="utf-8")
    parsed = parse_file(path)
    assert [c.kind for c in parsed.clauses] == ["preamble"]
    assert parsed.document.warnings and "no recognisable article numbering" in parsed.document.warnings[0]


def test_bad_inputs_raise_ingest_errors(tmp_path):
    cases = {}
    (tmp_path / "empty.md").write_bytes(b"")
    cases["empty.md"] = EmptyDocumentError
    (tmp_path / "blank.txt").write_text("   \n\n  ", encoding="utf-8")
    cases["blank.txt"] = EmptyDocumentError
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    cases["binary.txt"] = UnsupportedFileError
    (tmp_path / "law.exe").write_text("一、测试", encoding="utf-8")
    cases["law.exe"] = UnsupportedFileError
    (tmp_path / "undecodable.txt").write_bytes(b"\x81\x30\xff\xfe\xfd\x80\x80" * 50 + b"\xc3\x28" * 40)
    cases["undecodable.txt"] = DecodeError
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 this is not a zip")
    cases["broken.docx"] = UnsupportedFileError
    with zipfile.ZipFile(tmp_path / "nodoc.docx", "w") as zf:
        zf.writestr("hello.txt", "no word document inside")
    cases["nodoc.docx"] = UnsupportedFileError
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    cases["broken.pdf"] = IngestError
    for name, error in cases.items():
        with pytest.raises(error) as info:
            parse_file(tmp_path / name)
        message = str(info.value)
        assert name in message and "\n" not in message, message


def test_size_limit_is_configurable(tmp_path):
    path = tmp_path / "big.md"
    path.write_text(BODY * 3, encoding="utf-8")
    with pytest.raises(FileTooLargeError, match="limit"):
        parse_file(path, max_bytes=10_000)
    assert parse_file(path, max_bytes=1_000_000).articles()


def _run_cli(*args, env_extra=None):
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def test_parse_cli_table_and_json(tmp_path):
    import json

    result = _run_cli("parse", str(XIZANG))
    assert result.returncode == 0
    assert "第十六条" in result.stdout and "2024-08-01" in result.stdout
    result = _run_cli("parse", str(HUHEHAOTE), "--json")
    payload = json.loads(result.stdout)
    assert payload["document"]["adoption_date"] == "2023-11-01"
    assert payload["document"]["effective_date"] == "2023-11-01"
    assert [c["article"] for c in payload["clauses"] if c["kind"] == "article"] == list(range(1, 18))
    assert payload["clauses"][-1]["kind"] == "closing"


def test_parse_cli_rejects_with_one_line(tmp_path):
    bad = tmp_path / "binary.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    result = _run_cli("parse", str(bad))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "binary.txt" in result.stderr
    assert "Traceback" not in result.stderr
    big = tmp_path / "big.md"
    big.write_text(BODY * 50, encoding="utf-8")
    result = _run_cli("parse", str(big), env_extra={"JUEDING_MAX_FILE_MB": "0.1"})
    assert result.returncode != 0 and "limit" in result.stderr and "Traceback" not in result.stderr
