"""Index build benchmark: build throughput against raw model.encode, rebuilds, peak memory.

Run: .venv/bin/python eval/bench_index.py [--corpus corpus] [--backend onnx|torch]
Builds into a temporary folder; the real index/ is never touched (the ONNX export is made, or
reused, in the configured index's cache, ASKSHOW_INDEX_DIR).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from askshow.chunking import Chunker
from askshow.corpus import read_corpus
from askshow.embedding import Embedder
from askshow.index import build_generation
from askshow.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    args = parser.parse_args()

    cache = get_settings().index_dir / "cache"
    embedder = Embedder(batch_size=args.batch_size, backend=args.backend, cache_dir=cache)
    articles = read_corpus(args.corpus)
    chunker = Chunker(count_model_tokens=embedder.count_tokens)
    texts = [c.embed_text for a in articles for c in chunker.chunk(a)]
    embedder.encode(texts[:8])  # load the model and warm up before timing anything

    started = time.perf_counter()
    embedder.encode(texts)  # the raw rate: every chunk in one call, no cache, no store
    raw = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        held_out = sorted(corpus.iterdir())[-1]
        spare = Path(tmp) / held_out.name
        shutil.move(held_out, spare)
        index = Path(tmp) / "index"
        full = build_generation(corpus, index, embedder)
        again = build_generation(corpus, index, embedder)
        shutil.move(spare, corpus / held_out.name)
        one_more = build_generation(corpus, index, embedder)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    build_rate = full.chunks / full.seconds
    raw_rate = len(texts) / raw
    print(f"corpus: {len(articles)} articles, {len(texts)} chunks, batch size {args.batch_size},"
          f" backend {args.backend}")  # fmt: skip
    print(f"raw encode:              {raw_rate:7.1f} chunks/s ({raw:.2f} s for all {len(texts)})")
    print(f"full build (cold cache): {build_rate:7.1f} chunks/s ({full.seconds:.2f} s for {full.chunks}"
          f" chunks; one article held back) -> {build_rate / raw_rate:.2f} of raw")  # fmt: skip
    texts_embedded = full.embedded + full.sentences_embedded
    print(f"  with sentences:        {texts_embedded / full.seconds:7.1f} texts/s ({texts_embedded}"
          f" chunks and sentences embedded)")  # fmt: skip
    print(f"no-change rebuild:       {again.seconds:.2f} s, {again.embedded} embedded")
    print(f"one new article:         {one_more.seconds:.2f} s, {one_more.embedded} embedded")
    print(f"peak RSS:                {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
