"""Shared fixtures: settings point at tmp_path; the real model is loaded once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from askshow.embedding import Embedder
from askshow.engine import Engine
from askshow.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = ROOT / "corpus"
SEED = SHIPPED_CORPUS / "all-of-us-are-dead-season-2.txt"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real index: every ASKSHOW_* folder points into tmp_path."""
    monkeypatch.setenv("ASKSHOW_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("ASKSHOW_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache shared by the session's builds, so each text is embedded once."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The shipped corpus built once into a session folder (never the real index/)."""
    from askshow.index import build_generation

    index_dir = tmp_path_factory.mktemp("shipped-index")
    build_generation(SHIPPED_CORPUS, index_dir, embedder)
    return index_dir


@pytest.fixture(scope="session")
def engine(shipped_index: Path, embedder: Embedder) -> Engine:
    from askshow.index import load_current

    return Engine(load_current(shipped_index, embedder), embedder)


def copy_corpus(target: Path, *names: str) -> Path:
    """A corpus folder holding the named files from tests/data (or the seed article)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = SEED if name == SEED.name else DATA / name
        shutil.copy(source, target / name)
    return target
