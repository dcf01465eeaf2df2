"""The chunk and article store of a generation: one SQLite file, read whole into memory."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from askshow.models import Article, Chunk, Section

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
"""


def write_store(path: Path, articles: Sequence[Article], chunks: Sequence[Chunk]) -> None:
    """Write articles and chunks; a chunk's row is its FAISS row."""
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
    finally:
        db.close()


def read_store(path: Path) -> tuple[dict[str, Article], list[Chunk]]:
    """Articles by id and chunks in row order."""
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
    finally:
        db.close()
    return articles, chunks
