"""In-process answer latency over the golden questions: p50/p95, split by stage, cached.

Run: .venv/bin/python eval/bench_answer.py [--index index] [--golden eval/golden.jsonl]
Needs a built index (`askshow index build`).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from askshow.engine import Engine
from askshow.settings import get_settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--golden", type=Path, default=Path("eval/golden.jsonl"))
    args = parser.parse_args()
    settings = get_settings().with_overrides(index_dir=args.index)
    engine = Engine.from_settings(settings)
    questions = [
        json.loads(line)["question"]
        for line in args.golden.read_text().splitlines()
        if line.strip()
    ]
    engine.warm_up()

    encode_ms, total_ms, cached_ms = [], [], []
    for question in questions:
        started = time.perf_counter()
        engine.embedder.encode([question])
        encode_ms.append((time.perf_counter() - started) * 1000)
    fresh = Engine(engine.generation, engine.embedder)  # empty caches
    for question in questions:
        started = time.perf_counter()
        fresh.ask(question)
        total_ms.append((time.perf_counter() - started) * 1000)
    for question in questions:
        started = time.perf_counter()
        fresh.ask(question)
        cached_ms.append((time.perf_counter() - started) * 1000)

    rest = [t - e for t, e in zip(total_ms, encode_ms, strict=True)]
    print(f"{len(questions)} questions, generation {engine.generation.id}")
    for name, values in [("answer (uncached)", total_ms), ("  query encoding", encode_ms),
                         ("  search + compose", rest), ("answer (repeated)", cached_ms)]:  # fmt: skip
        print(
            f"{name:20s} p50 {statistics.median(values):7.2f} ms   p95 {percentile(values, 0.95):7.2f} ms"
        )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
