"""Chunker invariants, checked as properties over generated articles and on the seed."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askshow.chunking import Chunker, ChunkerSettings, count_tokens, split_sentences
from askshow.corpus import parse_article, read_article
from askshow.embedding import Embedder
from tests.conftest import DATA, SEED

WORDS = ["Netflix", "season", "cast", "Park Ji-hu", "zombies", "2025.", "Dr.", "U.S.", "On-jo",
         "premiere", "the", "a", "fans", "hopefully", "Mr.", "confirmed", "(Kim Bo-Yoon)", "“quote”"]  # fmt: skip

sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(
    lambda ws: ws[0].capitalize() + " " + " ".join(ws[1:]) + "."
)
paragraph = st.lists(sentence, min_size=1, max_size=6).map(" ".join)
section = st.tuples(
    st.sampled_from(["Cast", "Plot", "When will it be released?", "Release Date"]),
    st.lists(paragraph, min_size=1, max_size=4),
)
article_md = st.lists(section, min_size=1, max_size=4).map(
    lambda secs: (
        "# Test Show Season 3: Everything\n\n"
        + "\n\n".join(f"## {h}\n\n" + "\n\n".join(ps) for h, ps in secs)
    )
)

# The same articles written with markup: the reader must drop it and still give exact offsets.
MARKUP_WORDS = [*WORDS, "**Netflix**", "[cast](https://x.y/cast)", '<b onmouseover="x()">Ada</b>',
                "*hopefully*", "`2025`", "![still](a.jpg)", "&amp;", "Ji-hu<br>Kim"]  # fmt: skip
markup_sentence = st.lists(st.sampled_from(MARKUP_WORDS), min_size=1, max_size=40).map(
    lambda ws: "So " + " ".join(ws) + "."
)
markup_block = st.one_of(
    st.lists(markup_sentence, min_size=1, max_size=4).map("\n".join),  # a wrapped paragraph
    st.lists(markup_sentence, min_size=1, max_size=4).map(
        lambda ss: "\n".join(f"{'  ' * (i % 2)}- {s}" for i, s in enumerate(ss))  # nested list
    ),
)
markup_heading = st.sampled_from(["## Cast", "Plot\n----", "Release Date\n=====", "**Cast**"])
article_md_markup = st.lists(
    st.tuples(markup_heading, st.lists(markup_block, min_size=1, max_size=3)),
    min_size=1,
    max_size=4,
).map(
    lambda secs: (
        "# Test Show Season 3: Everything\n\n"
        + "\n\n".join(f"{h}\n\n" + "\n\n".join(bs) for h, bs in secs)
    )
)


def _check_invariants(
    text: str, chunker: Chunker, embedder: Embedder, markdown: bool = True
) -> None:
    article = parse_article(text, article_id="t", path=Path("t.md"), markdown=markdown)
    chunks = chunker.chunk(article)
    budget = chunker.settings.max_tokens
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= budget
        assert embedder.count_tokens(chunk.embed_text) <= 256
        owner = article.section_at(chunk.start)
        assert owner.start <= chunk.start and chunk.end <= owner.end, "chunk crosses a section"
        assert chunk.section == owner.heading
    for sec in article.sections:
        for start, end in split_sentences(article.text, sec.start, sec.end):
            holders = [c for c in chunks if c.start <= start and end <= c.end]
            if count_tokens(article.text[start:end]) <= budget:
                assert len(holders) == 1, "a sentence must land in exactly one chunk"
            else:  # an over-long sentence is cut at words; its pieces still cover it
                overlapping = sorted(
                    (c.start, c.end) for c in chunks if c.start < end and start < c.end
                )
                assert overlapping[0][0] <= start and overlapping[-1][1] >= end
    spans = sorted((c.start, c.end) for c in chunks)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "chunks overlap"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=article_md, budget=st.integers(min_value=12, max_value=200))
def test_chunk_invariants_hold_for_any_article(text: str, budget: int, embedder: Embedder) -> None:
    _check_invariants(
        text, Chunker(ChunkerSettings(max_tokens=budget), embedder.count_tokens), embedder
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=article_md_markup, budget=st.integers(min_value=12, max_value=200))
def test_chunk_invariants_hold_for_markdown_with_markup(
    text: str, budget: int, embedder: Embedder
) -> None:
    _check_invariants(
        text, Chunker(ChunkerSettings(max_tokens=budget), embedder.count_tokens), embedder
    )
    body = parse_article(text, article_id="t", path=Path("t.md"), markdown=True).text
    assert not any(leak in body for leak in ("<", ">", "*", "](", "`", "&amp;", "--", "=="))


def test_markup_article_chunks_hold_the_invariants(embedder: Embedder) -> None:
    text = (DATA / "lantern-bay-season-3-markup.md").read_text()
    for budget in (16, 200):  # several chunks per section, then one
        _check_invariants(text, Chunker(ChunkerSettings(budget), embedder.count_tokens), embedder)


def test_seed_chunks_hold_the_invariants(embedder: Embedder) -> None:
    chunker = Chunker(count_model_tokens=embedder.count_tokens)
    _check_invariants(SEED.read_text(), chunker, embedder, markdown=False)


def test_model_limit_is_enforced_even_within_the_token_budget(embedder: Embedder) -> None:
    # "x-y-z" is 3 cl100k tokens but 5 word pieces: 60 of them fit the 200-token budget
    # yet overflow the model's 256 word pieces, which the model would silently cut.
    text = "# Test Show Season 1\n\n## Cast\n\n" + " ".join(["x-y-z"] * 60) + "."
    article = parse_article(text, article_id="t", path=Path("t.md"), markdown=True)
    budget_only = Chunker(ChunkerSettings(max_tokens=200)).chunk(article)
    assert any(embedder.count_tokens(c.embed_text) > 256 for c in budget_only)
    chunks = Chunker(ChunkerSettings(max_tokens=200), embedder.count_tokens).chunk(article)
    assert len(chunks) > 1
    assert all(embedder.count_tokens(c.embed_text) <= 256 for c in chunks)


def test_chunk_ids_are_stable_across_runs() -> None:
    first = [c.id for c in Chunker().chunk(read_article(SEED))]
    second = [c.id for c in Chunker().chunk(read_article(SEED))]
    assert first == second
    assert len(set(first)) == len(first)


def test_sentence_split_keeps_abbreviations_and_names() -> None:
    text = (
        "Dr. Kim met Mr. Park in the U.S. yesterday. It premieres on March 3, 2025! Really? "
        "It airs at 9 p.m. ET on HBO. Reruns follow at 11 p.m. The end."
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Dr. Kim met Mr. Park in the U.S. yesterday.",
        "It premieres on March 3, 2025!",
        "Really?",
        "It airs at 9 p.m. ET on HBO.",
        "Reruns follow at 11 p.m.",
        "The end.",
    ]
