"""The web page in a real headless browser (Debian's chromium driven by Playwright).

Playwright's own browser downloads are impossible here: `make test` installs Debian's
chromium first (its `browser` step) and these tests fail, not skip, when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from askshow.embedding import Embedder
from tests.conftest import SEED, Server, copy_corpus, running_server

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Run `make browser` "
    "(a step of `make test`) or `apt-get update && apt-get install -y chromium`; "
    "never `playwright install`."
)
ANSWER_TIMEOUT_MS = 30_000
SCREENSHOT = Path("/tmp/askshow-page.png")

# Markup in a cast sentence: the page must show it as text and never run it. The marker is
# Two `__pwned` on one line also prove plain text is stored as written (not as Markdown bold).
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'
SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
XSS_ARTICLE = f"""Lantern Bay Season 3 on Hulu: Release Date, Cast, Plot and More!

Lantern Bay is back for a third season of harbour mysteries.

Who's in the cast of Lantern Bay season 3?

Captain Rhea Vance (Dana Okafor) wrote {IMG_PAYLOAD} and {SCRIPT_PAYLOAD} on the wall.

Plot

The third season follows a smuggling ring that reaches the lighthouse.
"""


def test_chromium_is_installed() -> None:
    assert CHROMIUM.exists(), MISSING


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(MISSING)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def _open(browser: Browser, url: str) -> Iterator[Page]:
    """A fresh page on the site; any uncaught JavaScript error fails the test."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        expect(page.locator("#question-form")).to_be_visible()
        yield page
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    with _open(browser, server.url) as opened:
        yield opened


def _ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.click("#ask")


def _api_answer(url: str, question: str) -> dict:
    response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_question_answer_and_citation_panel(page: Page, server: Server) -> None:
    question = "who plays nam-ra in all of us are dead"
    _ask(page, question)
    answer_text = page.locator("#answer-text")
    expect(answer_text).to_contain_text("Cho Yi-Hyun", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#ask")).to_be_enabled()
    expect(page.locator("#abstained")).to_be_hidden()
    expect(page.locator("#error")).to_be_hidden()

    marker = answer_text.locator("button.marker").first
    n = marker.get_attribute("data-n")
    assert n, "the answer has no citation marker"
    panel = page.locator(f"div.citation#citation-{n}")
    expect(panel).to_be_hidden()
    expect(marker).to_have_attribute("aria-expanded", "false")
    marker.click()
    expect(panel).to_be_visible()
    expect(marker).to_have_attribute("aria-expanded", "true")

    # The page shows what the API cited: the same quote and the article's title.
    body = _api_answer(server.url, question)
    citation = next(c for c in body["citations"] if str(c["n"]) == n)
    expect(panel.locator(".quote")).to_contain_text(citation["quote"])
    expect(panel.locator(".cite-title")).to_have_text(citation["title"])
    expect(panel.locator(f".badge-{citation['status']}")).to_have_count(
        1 if citation["status"] in ("confirmed", "speculative") else 0
    )
    expect(page.locator("ol#sources li.source")).to_have_count(len(body["citations"]))
    expect(page.locator("#meta")).to_contain_text("All of Us Are Dead")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    marker.click()
    expect(panel).to_be_hidden()


def test_example_button_asks_it(page: Page) -> None:
    example = page.locator("button.example").first
    text = example.inner_text().strip()
    example.click()
    expect(page.locator("#question")).to_have_value(text)
    expect(page.locator("#answer-box")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#answer-text")).not_to_be_empty()
    expect(page.locator("#answer-text button.marker").first).to_be_visible()
    expect(page.locator("#abstained")).to_be_hidden()
    expect(page.locator("ol#sources li.source").first).to_be_visible()


def test_unknown_show_abstains(page: Page) -> None:
    _ask(page, "When is Euphoria season 3 out?")
    abstained = page.locator("#abstained")
    expect(abstained).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(abstained.locator("p.abstained-text")).to_contain_text("couldn't find")
    expect(page.locator("#answer-box")).to_be_hidden()
    expect(page.locator("#error")).to_be_hidden()


def test_article_markup_is_shown_as_text_never_run(
    browser: Browser, tmp_path: Path, embedder: Embedder
) -> None:
    from askshow.index import build_generation

    corpus = copy_corpus(tmp_path / "xss-corpus", SEED.name)
    (corpus / "lantern-bay-season-3.txt").write_text(XSS_ARTICLE, encoding="utf-8")
    build_generation(corpus, tmp_path / "xss-index", embedder)
    with (
        running_server(tmp_path / "site", tmp_path / "xss-index", ASKSHOW_RATE_LIMIT="0") as server,
        _open(browser, server.url) as page,
    ):
        _ask(page, "who plays captain rhea vance in lantern bay")
        answer_text = page.locator("#answer-text")
        expect(answer_text).to_contain_text("Dana Okafor", timeout=ANSWER_TIMEOUT_MS)
        marker = answer_text.locator("button.marker").first
        marker.click()
        panel = page.locator(f"#citation-{marker.get_attribute('data-n')}")
        expect(panel).to_be_visible()
        for payload in (IMG_PAYLOAD, SCRIPT_PAYLOAD):
            expect(panel.locator(".quote")).to_contain_text(payload)
            expect(page.locator("ol#sources")).to_contain_text(payload)
        # An injected <img src=x> would fail to load and run onerror: give it the chance.
        page.wait_for_timeout(500)
        assert page.locator("#answer img, #answer script").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
