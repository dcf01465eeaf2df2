"""Ray build benchmark: embedding throughput with 1 and 2 model actors against a plain build.

Run: .venv/bin/python eval/bench_ray.py [--corpus corpus] [--backend onnx] [--cpus 2]
Every build starts from an EMPTY embedding cache in a temporary index folder (the real index/
is never touched), so every distinct text is embedded. texts/s = distinct texts embedded /
seconds of the embedding stage; for Ray that stage includes starting the actors and loading a
model in each, which a real build pays too, so the steady rate is shown beside it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import askshow.distributed as distributed
from askshow.embedding import Embedder
from askshow.index import build_generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--backend", default="onnx", choices=("onnx", "torch"))
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        # The ONNX export is made once and shared; each build gets its own empty index folder.
        embedder = Embedder(batch_size=args.batch_size, backend=args.backend,
                            cache_dir=Path(tmp) / "model-cache")  # fmt: skip
        embedder.encode(["warm-up"])
        rows = [_plain(args.corpus, Path(tmp) / "plain", embedder)]
        print(rows[-1], flush=True)  # each row as it comes: a full run takes minutes
        with distributed.ray_session(num_cpus=args.cpus):
            import ray

            where = ray.get(ray.remote(_askshow_file).remote())
            print(f"Ray workers import askshow from {where}", flush=True)
            for actors in (1, 2):
                rows.append(_on_ray(args.corpus, Path(tmp) / f"ray-{actors}", embedder, actors))
                print(rows[-1], flush=True)
    print(f"\nbackend {args.backend}, batch {args.batch_size}, local Ray with {args.cpus} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| build | texts | embedding s | texts/s | steady texts/s | build s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, texts, seconds, steady, build in rows:
        steady_text = f"{steady:.0f}" if steady else "–"
        print(f"| {name} | {texts} | {seconds:.1f} | {texts / seconds:.0f} | {steady_text} "
              f"| {build:.1f} |")  # fmt: skip


def _askshow_file() -> str:
    import askshow

    return str(Path(askshow.__file__).parent)


def _plain(corpus: Path, index: Path, embedder: Embedder) -> tuple[str, int, float, None, float]:
    spent, texts = 0.0, 0
    encode = embedder.encode

    def timed(batch: Any) -> Any:
        nonlocal spent, texts
        started = time.perf_counter()
        vectors = encode(batch)
        spent += time.perf_counter() - started
        texts += len(batch)
        return vectors

    embedder.encode = timed  # type: ignore[method-assign]
    try:
        summary = build_generation(corpus, index, embedder)
    finally:
        embedder.encode = encode  # type: ignore[method-assign]
    return "single process", texts, spent, None, summary.seconds


def _on_ray(
    corpus: Path, index: Path, embedder: Embedder, actors: int
) -> tuple[str, int, float, float, float]:
    stamps: list[tuple[float, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embedding on ray":
            stamps.append((time.perf_counter(), done))

    embed = distributed.embed_on_ray
    spent = 0.0

    def timed(*args: Any) -> Any:
        nonlocal spent
        started = time.perf_counter()
        encoder = embed(*args)
        spent = time.perf_counter() - started
        return encoder

    distributed.embed_on_ray = timed  # type: ignore[assignment]
    try:
        summary = distributed.build_generation_on_ray(
            corpus, index, embedder, progress=progress, actors=actors
        )
    finally:
        distributed.embed_on_ray = embed  # type: ignore[assignment]
    texts = sum(n for _, n in stamps)
    # Steady rate: from the first batch back to the last, so actor start-up is left out.
    steady = sum(n for _, n in stamps[1:]) / (stamps[-1][0] - stamps[0][0])
    return f"Ray, {actors} actor(s)", texts, spent, steady, summary.seconds


if __name__ == "__main__":
    main()
