"""The chunk and article store of a generation: one SQLite file, read whole into memory."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from askshow.models import Article, Chunk, Section
from askshow.scope import SentenceRow

_SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, show TEXT NOT NULL, season INTEGER,
    published TEXT, url TEXT, author TEXT, platform TEXT, text TEXT NOT NULL,
    sections TEXT NOT NULL, source_sha256 TEXT NOT NULL, aliases TEXT NOT NULL
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL REFERENCES articles,
    section TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    embed_text TEXT NOT NULL
);
CREATE TABLE sentences (
    row INTEGER PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles,
    start INTEGER NOT NULL, end INTEGER NOT NULL, section TEXT NOT NULL,
    seasons TEXT NOT NULL, own_season INTEGER NOT NULL
);
"""


def write_store(
    path: Path,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    sentences: Sequence[SentenceRow] = (),
) -> None:
    """Write articles, chunks and sentences; a chunk's row is its FAISS row, a sentence's row
    its row in the sentence vectors."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        a.id,
                        a.title,
                        a.show,
                        a.season,
                        a.published.isoformat() if a.published else None,
                        a.url,
                        a.author,
                        a.platform,
                        a.text,
                        json.dumps([[s.heading, s.start, s.end] for s in a.sections]),
                        a.source_sha256,
                        json.dumps(list(a.aliases)),
                    )
                    for a in articles
                ],
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                [
                    (row, c.id, c.article_id, c.section, c.start, c.end, c.text, c.embed_text)
                    for row, c in enumerate(chunks)
                ],
            )
            db.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?,?,?)",
                [
                    (row, r.article_id, r.start, r.end, r.section, json.dumps(r.seasons),
                     int(r.own_season))
                    for row, r in enumerate(sentences)
                ],
            )  # fmt: skip
    finally:
        db.close()


def read_store(path: Path) -> tuple[dict[str, Article], list[Chunk], list[SentenceRow]]:
    """Articles by id, chunks and sentences in row order."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        articles = {
            row[0]: Article(
                id=row[0],
                title=row[1],
                show=row[2],
                season=row[3],
                published=dt.date.fromisoformat(row[4]) if row[4] else None,
                url=row[5],
                author=row[6],
                platform=row[7],
                text=row[8],
                sections=tuple(Section(h, s, e) for h, s, e in json.loads(row[9])),
                source_sha256=row[10],
                aliases=tuple(json.loads(row[11])),
            )
            for row in db.execute("SELECT * FROM articles ORDER BY id")
        }
        chunks = [
            Chunk(
                id=r[1],
                article_id=r[2],
                section=r[3],
                start=r[4],
                end=r[5],
                text=r[6],
                embed_text=r[7],
            )
            for r in db.execute("SELECT * FROM chunks ORDER BY row")
        ]
        sentences = [
            SentenceRow(r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), bool(r[6]))
            for r in db.execute("SELECT * FROM sentences ORDER BY row")
        ]
    finally:
        db.close()
    return articles, chunks, sentences
