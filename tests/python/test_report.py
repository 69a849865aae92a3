"""`lake report` read as its readers read it: the HTML page in a browser (Debian's chromium,
driven by Playwright), the Confluence body by an XML parser, the workbook by openpyxl, the
prompt and the narrative through the CLI. The lake is ingested from fixtures/runs."""

import json
import os
import subprocess
import threading
import xml.etree.ElementTree as ET
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium on these machines: no sandbox as root, and no background connections (the
# network is closed; see ../shared/TOOLING.md).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NARRATIVE = """# Week 2026-W21

## Headline
Open failures fell to **47**; the scan of `333333333333` was cut short.

## Action items
- Replace `{"Effect": "Allow", "Action": "*:*"}` in the *admin* policy, where a < b & c.

```json
{"Statement": [{"Action": "*:*", "Resource": "*"}], "Note": "]]> and <tags> & more"}
```
"""


def lake(*args, check=True):
    return subprocess.run([LAKE_BIN, *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lake")
    result = lake("ingest", str(ROOT / "fixtures/runs"), "--lake", str(out), check=False)
    assert result.returncode == 1, result.stderr  # one truncated account file
    return str(out)


@pytest.fixture(scope="module")
def narrative(tmp_path_factory):
    path = tmp_path_factory.mktemp("narrative") / "narrative.md"
    path.write_text(NARRATIVE)
    return str(path)


def report(lake_dir, fmt, out, *extra):
    lake("report", "--week", "2026-W21", "--format", fmt, "--output", str(out), "--lake", lake_dir,
         *extra)
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url, width):
    """The page at `url` in a fresh browser page `width` pixels wide, with every console
    message, page error and request it made."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url, wait_until="load")
    return page, seen


@pytest.fixture(scope="module")
def served(lake_dir, narrative, tmp_path_factory):
    """The HTML report served over HTTP on loopback, so every request it makes is seen."""
    root = tmp_path_factory.mktemp("served")
    report(lake_dir, "html", root / "report.html", "--narrative", narrative)
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/report.html"
    server.shutdown()


def test_the_browser_check_sees_console_errors_and_requests(browser, tmp_path):
    # The harness itself: a page that logs an error and fetches an image must be caught.
    bad = tmp_path / "bad.html"
    bad.write_text('<script>console.error("boom")</script><img src="http://127.0.0.1:9/x.png">')
    page, seen = open_page(browser, bad.as_uri(), 800)
    page.close()
    assert any("boom" in m for m in seen["console"])
    assert any(u.startswith("http://127.0.0.1:9/") for u in seen["requests"])


def test_the_html_report_is_self_contained_and_draws_its_charts(browser, served):
    root, url = served
    page, seen = open_page(browser, url, 1100)
    assert seen["console"] == [] and seen["errors"] == []
    # Nothing but the page itself: styles and charts are inline, no network.
    assert seen["requests"] == [url]
    assert page.title() == "Week 2026-W21"
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["Headline", "What's new this week", "Resolved this week",
                        "Top open issues", "Trends", "Action items"]
    charts = page.locator("figure.chart svg")
    assert charts.count() == 3
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        assert charts.nth(i).locator("rect").count() >= 3  # bars, not an empty frame
    # The narrative is there, its code intact.
    codes = page.locator("li code").all_inner_texts()
    assert '{"Effect": "Allow", "Action": "*:*"}' in codes
    assert "]]> and <tags> & more" in page.locator("pre code").inner_text()
    page.screenshot(path=str(root / "report.png"), full_page=True)
    assert (root / "report.png").stat().st_size > 50_000
    page.close()


def test_the_html_report_reads_on_a_phone_and_prints(browser, served):
    root, url = served
    page, seen = open_page(browser, url, 390)
    assert seen["console"] == [] and seen["errors"] == []
    # Only the wide tables scroll, inside their box; the page itself never does sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.evaluate("[...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width)")
    assert all(0 < w <= 390 for w in widths)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    page.close()


def test_the_confluence_body_is_xml_and_keeps_code_as_written(lake_dir, narrative, tmp_path):
    body = report(lake_dir, "confluence", tmp_path / "r.xml", "--narrative", narrative).read_text()
    # A storage-format body is a fragment using Confluence's namespaces.
    root = ET.fromstring(
        '<root xmlns:ac="http://atlassian.com/content" '
        'xmlns:ri="http://atlassian.com/resource/identifier">' + body + "</root>")
    ac = "{http://atlassian.com/content}"
    codes = ["".join(c.itertext()) for c in root.iter("code")]
    assert '{"Effect": "Allow", "Action": "*:*"}' in codes
    # Inline code is never turned into emphasis, and text keeps its < and &.
    item = next(li for li in root.iter("li") if "Replace" in "".join(li.itertext()))
    assert "".join(item.itertext()).endswith("in the admin policy, where a < b & c.")
    assert [e.text for e in item.iter("em")] == ["admin"]
    # The code block is the code macro, its body verbatim (CDATA, `]]>` split safely).
    macros = [m for m in root.iter(f"{ac}structured-macro") if m.get(f"{ac}name") == "code"]
    assert len(macros) == 1
    text = macros[0].find(f"{ac}plain-text-body").text
    assert json.loads(text)["Note"] == "]]> and <tags> & more"
    # Only the macros it needs: code and the caveats' warnings.
    names = {m.get(f"{ac}name") for m in root.iter(f"{ac}structured-macro")}
    assert names == {"code", "warning"}
    assert [h.text for h in root.iter("h2")][0] == "Headline"


def test_the_workbook_holds_the_diff_and_the_open_findings(lake_dir, tmp_path):
    path = report(lake_dir, "xlsx", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Diff", "Open findings"]
    diff = json.loads(lake("query", "diff", "--week", "2026-W21", "--format", "json",
                           "--lake", lake_dir).stdout)
    sheet = wb["Diff"]
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["Change", "Reason", "Severity", "Muted", "Check"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(diff)
    assert [(r[0], r[4], r[8]) for r in rows] == [
        (d["change"], d["check_id"], d["resource_uid"]) for d in diff]
    assert sheet.auto_filter.ref == f"A1:N{len(diff) + 1}"
    assert sheet.freeze_panes == "A2"
    open_sheet = wb["Open findings"]
    open_rows = list(open_sheet.iter_rows(min_row=2, values_only=True))
    assert len(open_rows) == 47  # the week's open (unmuted) failures
    assert open_sheet.auto_filter.ref.startswith("A1:I")
    # Severity cells are coloured, most severe darkest.
    critical = next(c for c in open_sheet["A"][1:] if c.value == "Critical")
    assert critical.fill.fgColor.rgb.endswith("F6D5D5")
    assert critical.font.b


def test_xlsx_needs_a_file(lake_dir):
    r = lake("report", "--week", "2026-W21", "--format", "xlsx", "--lake", lake_dir, check=False)
    assert r.returncode != 0 and "--output" in r.stderr


def test_the_prompt_holds_the_sections_the_subset_and_the_summary(lake_dir):
    prompt = lake("report", "--week", "2026-W21", "--prompt", "--lake", lake_dir).stdout
    for section in ["## Headline", "## What's new this week", "## Resolved this week",
                    "## Top open issues", "## Trends", "## Action items"]:
        assert section in prompt
    assert "No tables, raw HTML, images" in prompt
    summary = lake("summary", "--week", "2026-W21", "--lake", lake_dir).stdout
    start = prompt.index("```json\n") + len("```json\n")
    assert json.loads(prompt[start:prompt.rindex("\n```")]) == json.loads(summary)


@pytest.mark.parametrize("text,line,reason", [
    ("## Headline\nSee <b>this</b>\n", 2, "raw HTML"),
    ("## Headline\n| a | b |\n", 2, "tables"),
    ("## Executive summary\ntext\n", 1, "unknown section"),
])
def test_a_narrative_outside_the_subset_is_rejected_with_its_line(lake_dir, tmp_path, text, line,
                                                                  reason):
    path = tmp_path / "n.md"
    path.write_text(text)
    out = tmp_path / "r.md"
    r = lake("report", "--week", "2026-W21", "--narrative", str(path), "--output", str(out),
             "--lake", lake_dir, check=False)
    assert r.returncode != 0
    assert f"line {line}" in r.stderr and reason in r.stderr and str(path) in r.stderr
    assert not out.exists()


def test_markdown_is_the_default_format(lake_dir, narrative):
    md = lake("report", "--week", "2026-W21", "--narrative", narrative, "--lake", lake_dir).stdout
    assert md.startswith("# Week 2026-W21\n\n## Headline\n\nOpen failures fell to **47**")
