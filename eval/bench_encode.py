"""Query and batch encoding speed: the direct ONNX encoder by thread count, against
sentence-transformers' own ONNX backend (optimum) and, with --quantized, the int8 model.

Run: .venv/bin/python eval/bench_encode.py [--threads 1 2] [--optimum] [--quantized FILE]
Needs the ONNX export in the configured index's cache (any onnx-backend run makes it).
Single question: p50/p95 over the golden questions, one at a time. Batch: the shipped
corpus' chunks in batches of --batch-size, texts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from askshow.chunking import Chunker
from askshow.corpus import read_corpus
from askshow.embedding import Embedder
from askshow.onnx_model import OnnxEncoder
from askshow.settings import get_settings

Encode = Callable[[Sequence[str]], np.ndarray]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(name: str, encode: Encode, questions: list[str], texts: list[str]) -> np.ndarray:
    encode(questions[:20])  # warm up: first runs allocate
    single, cpu = [], []
    for question in questions:
        started, cpu_started = time.perf_counter(), time.process_time()
        encode([question])
        single.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    started, cpu_started = time.perf_counter(), time.process_time()
    vectors = encode(texts)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU time (all threads) says what the work costs when other processes share the cores.
    print(f"{name:30s} single p50 {statistics.median(single):6.2f} ms  p95 "
          f"{percentile(single, 0.95):6.2f} ms  cpu p50 {statistics.median(cpu):6.2f} ms"
          f"   batch {len(texts) / seconds:6.1f} texts/s, {cpu_seconds / len(texts) * 1000:.1f}"
          f" cpu ms/text   (load {os.getloadavg()[0]:.1f})")  # fmt: skip
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--golden", type=Path, default=Path("eval/golden.jsonl"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, help="only the first N questions and chunks")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--optimum", action="store_true", help="also sentence-transformers' ONNX")
    parser.add_argument("--quantized", type=Path, help="also this (int8) ONNX file")
    args = parser.parse_args()

    embedder = Embedder(batch_size=args.batch_size, backend="onnx",
                        cache_dir=get_settings().index_dir / "cache")  # fmt: skip
    reference = embedder.model  # makes the export if it is missing
    folder = get_settings().index_dir / "cache" / f"onnx-{embedder.model_id}"
    questions = [json.loads(line)["question"] for line in args.golden.read_text().splitlines()
                 if line.strip()]  # fmt: skip
    chunker = Chunker(count_model_tokens=embedder.count_tokens)
    texts = [c.embed_text for a in read_corpus(args.corpus) for c in chunker.chunk(a)]
    questions, texts = questions[: args.limit], texts[: args.limit]
    print(f"{len(questions)} questions one at a time; {len(texts)} chunks, batch {args.batch_size}")

    fp32 = None
    for threads in args.threads:
        for spinning in (True, False) if threads > 1 else (True,):
            encoder = OnnxEncoder(folder / "onnx" / "model.onnx", embedder.model_dir,
                                  args.batch_size, threads, spinning)  # fmt: skip
            name = f"direct, {threads} thread(s){'' if spinning else ', no spin'}"
            fp32 = measure(name, encoder.encode, questions, texts)
    if args.quantized:
        for threads in args.threads:
            encoder = OnnxEncoder(args.quantized, embedder.model_dir, args.batch_size, threads)
            int8 = measure(f"int8, {threads} thread(s)", encoder.encode, questions, texts)
        if fp32 is not None:
            print(f"int8 vs fp32 cosine on the chunks: min {float((int8 * fp32).sum(1).min()):.4f}"
                  f" mean {float((int8 * fp32).sum(1).mean()):.4f}")  # fmt: skip
    if args.optimum:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu", backend="onnx")

        def optimum(batch: Sequence[str]) -> np.ndarray:
            return np.asarray(model.encode(list(batch), batch_size=args.batch_size,
                                           normalize_embeddings=True))  # fmt: skip

        vectors = measure("sentence-transformers onnx", optimum, questions, texts)
        if fp32 is not None:
            print(f"direct vs sentence-transformers onnx: max |diff| "
                  f"{float(np.abs(vectors - fp32).max()):.2e}")  # fmt: skip
    del reference


if __name__ == "__main__":
    main()
