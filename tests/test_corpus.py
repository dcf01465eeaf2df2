"""Reading articles: the three formats, the seed article's sections and noise, bad input."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from askshow.chunking import Chunker
from askshow.cli import main
from askshow.corpus import check_corpus, infer_show, read_article, read_corpus
from askshow.errors import CorpusError, CorpusInvalidError
from tests.conftest import DATA, SEED, SHIPPED_CORPUS

SEED_HEADINGS = [
    "Who's in the cast of All of Us Are Dead season 2?",
    "What will happen in the second season of All of Us Are Dead?",
    "When will the second season of All of Us Are Dead be released?",
]
SEED_NOISE = [
    "Read More",
    "Hit Monkey",
    "Women of the Movement",
    "All of Us Are Dead Season 2 (1)",
    "All of Us Are Dead Season 2 (2)",
    "All of Us Are Dead Season 2 (3)",
]


def test_seed_article_metadata_is_inferred_from_the_title() -> None:
    article = read_article(SEED)
    assert article.id == "all-of-us-are-dead-season-2"
    assert article.show == "All of Us Are Dead"
    assert article.season == 2
    assert article.platform == "Netflix"
    assert article.published is None
    assert article.title.startswith("All of Us Are Dead Season 2 on Netflix")


def test_seed_article_sections_are_its_question_headings() -> None:
    headings = [s.heading for s in read_article(SEED).sections]
    assert headings == ["", *SEED_HEADINGS]


@pytest.mark.parametrize("noise", SEED_NOISE)
def test_seed_noise_never_reaches_text_or_chunks(noise: str) -> None:
    article = read_article(SEED)
    assert noise not in article.text
    assert all(noise not in chunk.text for chunk in Chunker().chunk(article))


def test_seed_bare_title_repeats_are_dropped() -> None:
    lines = read_article(SEED).text.split("\n")
    assert "All of Us Are Dead Season 2" not in lines


def test_seed_sections_and_chunks_point_at_exact_text() -> None:
    article = read_article(SEED)
    for section in article.sections:
        assert article.text[section.start : section.end].strip()
    for chunk in Chunker().chunk(article):
        assert article.text[chunk.start : chunk.end] == chunk.text


def test_front_matter_overrides_inference() -> None:
    article = read_article(DATA / "stranger-things-season-5-early.md")
    assert article.show == "Stranger Things"
    assert article.season == 5
    assert article.published == dt.date(2023, 2, 10)
    assert article.url == "https://example.org/stranger-things-5-early"
    assert "Advertisement" not in article.text
    assert [s.heading for s in article.sections] == [
        "When will Stranger Things season 5 be released?",
        "Who's in the cast?",
        "What will happen?",
    ]


def test_front_matter_aliases(tmp_path: Path) -> None:
    path = tmp_path / "outer-banks-season-4.md"
    path.write_text(
        "---\ntitle: Outer Banks Season 4\naliases: [OBX, Outer Banks Netflix]\n---\n\nText.\n"
    )
    assert read_article(path).aliases == ("OBX", "Outer Banks Netflix")
    path.write_text("---\ntitle: Outer Banks Season 4\naliases: OBX\n---\n\nText.\n")
    assert read_article(path).aliases == ("OBX",)


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "the-bear-season-4.md"
    path.write_text(
        "# The Bear Season 4: Release Date and Cast\n\nIntro text here.\n\n"
        "## Cast\n\nCarmy (Jeremy Allen White) is back. See [the trailer](https://x.y/z).\n"
    )
    article = read_article(path)
    assert (article.title, article.show, article.season) == (
        "The Bear Season 4: Release Date and Cast",
        "The Bear",
        4,
    )
    assert "See the trailer." in article.text
    assert "https://" not in article.text
    assert [s.heading for s in article.sections] == ["", "Cast"]


def test_plain_text_page_noise_and_label_headings() -> None:
    article = read_article(DATA / "lantern-bay-season-3.txt")
    assert article.show == "Lantern Bay"
    assert article.platform == "Hulu"
    assert "Share this article" not in article.text
    assert "(1)" not in article.text
    assert [s.heading for s in article.sections] == [
        "",
        "Who's in the cast of Lantern Bay season 3?",
        "Plot",
    ]


@pytest.mark.parametrize(
    ("title", "show", "season", "platform"),
    [
        (
            "All of Us Are Dead Season 2 on Netflix: Release Date",
            "All of Us Are Dead",
            2,
            "Netflix",
        ),
        ("Stranger Things season 5 – everything we know", "Stranger Things", 5, None),
        (
            "Frieren: Beyond Journey's End Season 2 Release Date",
            "Frieren: Beyond Journey's End",
            2,
            None,
        ),
        ("Ted Lasso Season Four on Apple TV+: Is It Happening?", "Ted Lasso", 4, "Apple TV+"),
        ("Second Season of Sweet Home: what we know", "Sweet Home", 2, None),
        ("Abbott Elementary: Cast and Plot", "Abbott Elementary", None, None),
    ],
)
def test_infer_show(title: str, show: str, season: int | None, platform: str | None) -> None:
    assert infer_show(title) == (show, season, platform)


BAD_FILES: list[tuple[str, bytes, str, int | None]] = [
    ("empty.md", b"  \n\n", "empty file", None),
    ("latin1.txt", "Title line\n\ncaf\xe9 society".encode("latin-1"), "not valid UTF-8", 3),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "binary file", None),
    ("huge.txt", b"Title\n\n" + b"word " * 250_000, "too large", None),
    ("no-title.md", b"Just a paragraph without any heading.\n", "no title", 1),
    ("bad-yaml.md", b"---\ntitle: [unclosed\nshow: X\n---\n\nBody.\n", "not valid YAML", 3),
    (
        "bad-date.md",
        b"---\ntitle: X Season 1\nshow: X\npublished: next tuesday\n---\n\nBody.\n",
        "`published` must be a date",
        4,
    ),
    ("bad-season.md", b"---\ntitle: X\nseason: two-ish\n---\n\nBody.\n", "`season`", 3),
    ("unclosed.md", b"---\ntitle: X\n\nBody.\n", "never closes", 1),
    ("bad-aliases.md", b"---\ntitle: X Season 1\naliases: {a: 1}\n---\n\nBody.\n", "`aliases`", 3),
    ("only-title.txt", b"Just A Title\n\n", "no article text", None),
    (
        "unreal-date.md",
        b"---\ntitle: X Season 1\nshow: X\npublished: 2025-13-45\n---\n\nBody.\n",
        "`published` is not a real date",
        4,
    ),
    ("minus-season.md", b"---\ntitle: X\nseason: -3\n---\n\nBody.\n", "must be 1 or more", 3),
    (
        "script-url.md",
        b"---\ntitle: X Season 1\nurl: javascript:alert(1)\n---\n\nBody.\n",
        "`url` must be an http:// or https:// address",
        3,
    ),
]


@pytest.mark.parametrize(("name", "content", "message", "line"), BAD_FILES)
def test_bad_input_names_file_and_line(
    tmp_path: Path, name: str, content: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError) as caught:
        read_article(path)
    assert message in caught.value.message
    assert caught.value.path == path
    assert caught.value.line == line
    assert str(path) in str(caught.value)


def test_duplicate_ids_and_every_problem_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "same.md").write_text("# Same Season 1\n\nText.\n")
    (tmp_path / "same.txt").write_text("Same Season 1\n\nText.\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "good.txt").write_text("Good Show Season 2\n\nA sentence.\n")
    articles, problems = check_corpus(tmp_path)
    assert [a.id for a in articles] == ["good", "same"]
    messages = sorted(str(p) for p in problems)
    assert len(messages) == 2
    assert "empty file" in messages[0]
    assert "duplicate article id 'same'" in messages[1]
    with pytest.raises(CorpusInvalidError):
        read_corpus(tmp_path)


def test_corpus_check_cli_reports_all_and_exits_nonzero(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "b.md").write_text("---\ntitle: B\npublished: soon\n---\n\nText.\n")
    result = CliRunner().invoke(main, ["corpus", "check", "--corpus", str(tmp_path)])
    assert result.exit_code == 1
    assert "a.txt: empty file" in result.output
    assert "b.md:3: front matter `published`" in result.output
    assert "Traceback" not in result.output


def test_shipped_corpus_passes_check() -> None:
    articles, problems = check_corpus(SHIPPED_CORPUS)
    assert problems == []
    assert len(articles) >= 6
    assert SEED.read_bytes() == (SHIPPED_CORPUS / SEED.name).read_bytes()


def test_plain_text_is_not_read_as_markdown(tmp_path: Path) -> None:
    path = tmp_path / "lantern-bay-season-3.txt"
    path.write_text(
        "Lantern Bay Season 3: Cast\n\nThe __init__ joke, a *star* and [a](b) stay as typed.\n"
    )
    assert "The __init__ joke, a *star* and [a](b) stay as typed." in read_article(path).text


def test_a_link_to_a_file_outside_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Good Show Season 2\n\nA sentence.\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret Season 1\n\nroot:x:0:0\n")
    (corpus / "leak.txt").symlink_to(secret)
    (corpus / "alias.txt").symlink_to(corpus / "good.txt")  # inside the corpus: fine
    articles, problems = check_corpus(corpus)
    assert sorted(a.id for a in articles) == ["alias", "good"]
    assert [str(p) for p in problems] == [
        f"{corpus / 'leak.txt'}: is a link to a file outside the corpus folder"
    ]


@pytest.mark.parametrize(
    ("byline", "published"),
    [
        ("By Ann Lee | Posted June 20, 2025", dt.date(2025, 6, 20)),
        ("*Updated 20 May 2025*", dt.date(2025, 5, 20)),
        ("Posted on Sept. 3, 2024 by Ann Lee", dt.date(2024, 9, 3)),
        ("Release date: March 7, 2025", None),  # article text under the title, not a byline
    ],
)
def test_a_byline_date_is_the_publication_date(
    tmp_path: Path, byline: str, published: dt.date | None
) -> None:
    path = tmp_path / "lantern-bay-season-3.md"
    path.write_text(f"# Lantern Bay Season 3: Release Date\n\n{byline}\n\nIt returns soon.\n")
    article = read_article(path)
    assert article.published == published
    assert (byline.strip("*") in article.text) is (published is None)


MARKUP = DATA / "lantern-bay-season-3-markup.md"


def _markdown_text(tmp_path: Path, body: str) -> str:
    path = tmp_path / "lantern-bay-season-3.md"
    path.write_text(f"# Lantern Bay Season 3: Release Date\n\n{body}\n")
    return read_article(path).text


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ('<b onmouseover="x()">Ada</b> returns', "Ada returns"),
        ("Streams on [Netflix](https://www.netflix.com/title/1).", "Streams on Netflix."),
        ("It is **bold**, *new*, _odd_ and `typed`.", "It is bold, new, odd and typed."),
        ("Ben &amp; Jo<!-- editor note --> return.", "Ben & Jo return."),
        ("[![trailer still](a.jpg)](https://youtu.be/x) Out now.", "Out now."),
        ("<span class='x'>Filming <i>wraps</i></span> in May.", "Filming wraps in May."),
        ("Airs soon. <script>track('x')</script>Stay tuned.", "Airs soon. Stay tuned."),
        ('Trailer: <iframe src="https://youtu.be/x"/> out now.', "Trailer: out now."),
    ],
)
def test_markdown_markup_and_inline_html_become_text(
    tmp_path: Path, markdown: str, text: str
) -> None:
    assert _markdown_text(tmp_path, markdown) == text


def test_html_blocks_keep_prose_and_drop_embeds(tmp_path: Path) -> None:
    text = _markdown_text(
        tmp_path,
        '<div class="ad"><script>loadAd()</script></div>\n\n'
        '<iframe src="https://youtube.com/embed/x"></iframe>\n\n'
        "<p>Filmed in <em>Maine</em>.</p>",
    )
    assert text == "Filmed in Maine."


def test_nested_list_items_are_blocks_of_their_own(tmp_path: Path) -> None:
    text = _markdown_text(
        tmp_path,
        "- Ada Park – Mira\n  - Jo Kim – Jo,\n    Mira's sister\n    1. a cameo\n- Ben Cho – Tom",
    )
    assert text.split("\n\n") == [
        "Ada Park – Mira",
        "Jo Kim – Jo, Mira's sister",
        "a cameo",
        "Ben Cho – Tom",
    ]


def test_setext_and_atx_headings_are_sections() -> None:
    article = read_article(MARKUP)
    assert article.title == "Lantern Bay Season 3: Release Date, Cast and Plot"  # setext `===`
    assert [s.heading for s in article.sections] == [
        "",
        "Cast",  # setext `---`
        "Newcomers",  # a line all in bold
        "What will happen in season 3?",  # `## ... ##`
    ]
    assert article.published == dt.date(2025, 6, 20)  # a byline wrapped into the lead


def test_markdown_article_sections_and_chunks_point_at_exact_text() -> None:
    article = read_article(MARKUP)
    lead = article.sections[0]
    assert article.text[lead.start : lead.end].split("\n\n")[1] == (
        "Ada returns as Mira, and the season premieres on Netflix on Friday, July 11, 2025."
    )
    for section in article.sections:
        body = article.text[section.start : section.end]
        assert body.strip() == body and body
        assert section.heading not in body.split("\n\n")
    chunks = Chunker().chunk(article)
    assert chunks
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        section = article.section_at(chunk.start)
        assert chunk.section == section.heading and chunk.end <= section.end


def test_markdown_article_keeps_words_and_drops_markup() -> None:
    text = read_article(MARKUP).text
    for words in [
        "Ada returns as Mira",
        "All eight episodes drop at once & the finale runs 70 minutes.",
        "Mira's sister Jo is played by Jin Kim, who joined in season 2",
        "Mira Holt – Ada Park",
        "Filming took place in Maine in early 2025.",
        "Mira finally opens the locked room under the lighthouse.",
        'called it "the season of answers". More news soon.',
    ]:
        assert words in text
    for leak in ["<", ">", "**", "](", "![", "`", "&amp;", "---", "***", "loadAd", "youtube"]:
        assert leak not in text
    assert "Read More" not in text and "Recap" not in text  # a noise line inside a paragraph


MARKUP_LEFTOVER = re.compile(
    r"^(#{1,6} |[-*+>] |\||-{3,}$|\*{3,}$)|\*\*|\]\(|!\[|</?[a-z]+[ >]", re.M
)


def test_shipped_markdown_articles_have_no_markup_left() -> None:
    for path in sorted(SHIPPED_CORPUS.glob("*.md")):
        article = read_article(path)
        for block in article.text.split("\n\n"):
            assert not MARKUP_LEFTOVER.search(block), (path.name, block)
