"""Scale benchmark: cost curves of an index generation from 1k to 1M chunks.

Run: .venv/bin/python eval/bench_scale.py [--sizes 1000,10000,100000,1000000] [--queries 200]
                                          [--json eval/reports/scale.json]

Nothing is encoded and the real index/ is never touched: each size gets a synthetic generation in
a temporary folder, removed afterwards. Vectors are 384-d, L2-normalised and clustered like
all-MiniLM-L6-v2 chunk embeddings of fan articles: a vector common to all chunks, a show
centroid, an article offset and per-chunk noise, each drawn from the same decaying spectrum in a
random basis (calibrated on the real 907-chunk generation, see the constants below). Chunks are
grouped by show, so one show's chunks are contiguous rows. Queries are unseen chunks of random
articles (so a popular show gets more queries); a second seeded set tunes the ANN parameters.
Everything is seeded.

For each size it prints and (with --json) writes:
- FAISS: build time, file size and the RSS of a fresh process holding the loaded index, and
  single-query search p50/p95 (k=10) with recall@10 against exact search, for IndexFlatIP,
  IndexHNSWFlat (inner product, M=32, efConstruction=40, efSearch the smallest on the grid whose
  recall on the tuning queries reaches --target-recall with 95% confidence; the whole sweep is
  in the JSON) and IndexIVFFlat (inner product, nlist = 4*sqrt(n), nprobe tuned the same way);
- show-limited search (the query restricted to its show's chunks, as retrieve.py does):
  (a) flat index + IDSelectorBatch of the show's rows, built per query like the service does,
  (b) one small IndexFlatIP per show, searching only the query's show,
  (c) flat index + IDSelectorRange over the show's contiguous rows;
- BM25 (bm25s over synthetic chunk texts, tokenised like askshow.lexical) and the SQLite chunk
  store: build time, disk size, and the p50/p95 of scoring every chunk for one query (what
  retrieve.py does per question). When the previous size predicts more than --text-budget
  seconds for this stage, it is extrapolated linearly from the largest measured size instead,
  and the output says so; HNSW is likewise skipped when its predicted build exceeds
  --hnsw-budget.

Threads: index builds use every core (faiss.omp_set_num_threads(cpu_count)); every latency is
measured with faiss.omp_set_num_threads(1), and the flat index also with all cores (the
service's default, as it never sets the count) on the first 50 queries. The load average at the
start and end of each size is recorded: latencies are only as quiet as the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

DIM = 384
K = 10
ALL_THREADS = os.cpu_count() or 1
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
EF_SEARCH_GRID = (16, 32, 64, 128, 256, 512)
NPROBE_GRID = (1, 2, 4, 8, 16, 32, 64, 128)
IVF_TRAIN_POINTS_PER_LIST = 40  # faiss samples this many vectors per list for k-means
FLAT_BUDGET_MS = 5.0  # above this flat p50, an approximate index should take over
SHOW_LIMITED_BUDGET_MS = 20.0
THREAD_CHECK_QUERIES = 50

# Variance shares of a chunk vector and the spectrum each part is drawn from, calibrated on the
# real generation (907 chunks, 78 shows); real vs synthetic at 907 chunks: mean cosine to other
# shows' chunks 0.23 vs 0.23, to the same show's 0.62 vs 0.62, to the nearest neighbour 0.79 vs
# 0.78, to the 10th 0.56 vs 0.56; norm of the mean vector 0.49 vs 0.49; variance in the top 50
# principal directions 71% vs 76%, top 100 88% vs 89%.
COMMON_SHARE, SHOW_SHARE, ARTICLE_SHARE, CHUNK_SHARE = 0.23, 0.32, 0.18, 0.27
SPECTRUM_OFFSET, SPECTRUM_POWER = 8.0, 1.3  # variance of direction i ~ (i + 8) ** -1.3
SHOWS_PER_SQRT_CHUNK = 2.5  # 79 shows at 1k chunks (real: 78 over 907), 2,500 at 1M
SHOW_SIZE_SIGMA = 0.75  # chunks per show are lognormal with this sigma
CHUNKS_PER_ARTICLE = 8  # real: 907 chunks over 114 articles

# Synthetic chunk texts: about 75 words (real: mean 75, 5th-95th percentile 13-145), Zipfian
# words, a few show-specific names and English stopwords.
WORDS_MEAN, WORDS_SD, WORDS_MIN, WORDS_MAX = 75, 35, 8, 160
LEXICON_SIZE, ZIPF_POWER = 40_000, 1.07
NAMES_PER_SHOW, NAME_SHARE, STOPWORD_SHARE = 12, 0.08, 0.4
QUERY_WORDS = 4
SYLLABLES = ("ka", "ro", "mi", "ten", "sha", "lu", "ver", "do", "an", "bel", "cor", "ith", "um")
STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
WORD = re.compile(r"\w+")

STORE_SCHEMA = """CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    section TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL,
    embed_text TEXT NOT NULL
)"""  # the chunks table of src/askshow/store.py

RSS_PROBE = """import sys, faiss
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
before = rss_kb()
index = faiss.read_index(sys.argv[1])
print(before, rss_kb())
"""


@dataclass(frozen=True)
class Generation:
    """A synthetic generation's vectors and the queries asked of it."""

    vectors: np.ndarray
    show_starts: np.ndarray
    """first row of each show, then n: show s owns rows show_starts[s]:show_starts[s + 1]"""
    article_of: np.ndarray
    queries: np.ndarray
    query_shows: np.ndarray
    tuning_queries: np.ndarray

    @property
    def size(self) -> int:
        return len(self.vectors)

    def show_rows(self, show: int) -> tuple[int, int]:
        return int(self.show_starts[show]), int(self.show_starts[show + 1])


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float


@contextmanager
def omp_threads(count: int) -> Iterator[None]:
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def spectrum_scales() -> np.ndarray:
    variances = (np.arange(1, DIM + 1) + SPECTRUM_OFFSET) ** -SPECTRUM_POWER
    return np.sqrt(variances / variances.sum()).astype(np.float32)


def show_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Chunks per show: lognormal weights, rounded to sum to n, at least one chunk each."""
    shows = min(n, max(1, round(SHOWS_PER_SQRT_CHUNK * math.sqrt(n))))
    weights = rng.lognormal(0.0, SHOW_SIZE_SIGMA, shows)
    sizes = 1 + np.floor(weights / weights.sum() * (n - shows)).astype(np.int64)
    sizes[np.argsort(-weights)[: n - sizes.sum()]] += 1
    return sizes


def article_ids(sizes: np.ndarray, show_of: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each show's rows split into consecutive articles of about CHUNKS_PER_ARTICLE chunks."""
    articles_per_show = np.maximum(1, np.rint(sizes / CHUNKS_PER_ARTICLE)).astype(np.int64)
    first_article = np.concatenate([[0], np.cumsum(articles_per_show)[:-1]])
    position = np.arange(len(show_of)) - starts[show_of]
    local = position * articles_per_show[show_of] // sizes[show_of]
    return first_article[show_of] + local


def synthesise(n: int, queries: int, seed: int) -> Generation:
    vector_rng, query_rng, tuning_rng = np.random.default_rng([seed, n]).spawn(3)
    basis = np.linalg.qr(vector_rng.standard_normal((DIM, DIM)))[0].astype(np.float32)
    scales = spectrum_scales()

    def draw(count: int, share: float, rng: np.random.Generator) -> np.ndarray:
        noise = rng.standard_normal((count, DIM), dtype=np.float32) * scales
        return (noise @ basis) * np.float32(math.sqrt(share))

    sizes = show_sizes(n, vector_rng)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    show_of = np.repeat(np.arange(len(sizes)), sizes)
    article_of = article_ids(sizes, show_of, starts)
    common = draw(1, 1.0, vector_rng)[0]
    common *= np.float32(math.sqrt(COMMON_SHARE) / np.linalg.norm(common))
    centroids = common + draw(len(sizes), SHOW_SHARE, vector_rng)
    articles = centroids[show_of[np.searchsorted(article_of, np.arange(article_of[-1] + 1))]]
    articles += draw(len(articles), ARTICLE_SHARE, vector_rng)

    def chunks_of(article_rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        vectors = draw(len(article_rows), CHUNK_SHARE, rng)
        vectors += articles[article_rows]
        faiss.normalize_L2(vectors)
        return vectors

    query_rows = query_rng.integers(0, n, queries)
    tuning_rows = tuning_rng.integers(0, n, queries)
    return Generation(
        vectors=chunks_of(article_of, vector_rng),
        show_starts=starts,
        article_of=article_of,
        queries=chunks_of(article_of[query_rows], query_rng),
        query_shows=show_of[query_rows],
        tuning_queries=chunks_of(article_of[tuning_rows], tuning_rng),
    )


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Row ids of the k best inner products per query (numpy BLAS, best first)."""
    scores = queries @ vectors.T
    k = min(k, vectors.shape[0])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def recalls(found: Sequence[np.ndarray], truth: Sequence[np.ndarray]) -> np.ndarray:
    """Per query, the share of its exact top-k (all of a show's rows when fewer) found."""
    return np.array(
        [
            len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t)
            for f, t in zip(found, truth, strict=True)
        ]
    )


def lower_bound_95(values: np.ndarray) -> float:
    """Lower end of the 95% confidence interval of the mean: mean - 1.96 standard errors."""
    return float(values.mean() - 1.96 * values.std(ddof=1) / math.sqrt(len(values)))


def timed(search: Callable[[int], Any], count: int) -> tuple[Latency, list[Any]]:
    """p50/p95 of search(i) for queries 0..count-1, one at a time after three warm-ups, and
    the ids each search returned."""
    for i in range(min(3, count)):
        search(i)
    seconds, found = [], []
    for i in range(count):
        started = time.perf_counter()
        found.append(search(i))
        seconds.append(time.perf_counter() - started)
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    return Latency(round(float(p50), 3), round(float(p95), 3)), found


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def serving_rss_mb(index_file: Path) -> dict[str, float]:
    """RSS of a fresh Python process after `import faiss`, and after loading the index."""
    probe = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(index_file)], capture_output=True, text=True
    )
    before_kb, after_kb = (int(v) for v in probe.stdout.split())
    return {
        "process_rss_mb": round(after_kb / 1024, 1),
        "index_rss_mb": round((after_kb - before_kb) / 1024, 1),
    }


def measure_index(
    name: str, build: Callable[[], faiss.Index], folder: Path
) -> tuple[faiss.Index, dict[str, Any]]:
    """Build with all cores, write it, and measure time, file size and serving RSS."""
    with omp_threads(ALL_THREADS):
        started = time.perf_counter()
        index = build()
        build_s = time.perf_counter() - started
    path = folder / f"{name}.faiss"
    faiss.write_index(index, str(path))
    stats = {"build_s": round(build_s, 2), "file_mb": round(disk_bytes(path) / 1e6, 1)}
    stats |= serving_rss_mb(path)
    path.unlink()
    return index, stats


def search_stats(
    search: Callable[[int], np.ndarray], truth: Sequence[np.ndarray]
) -> dict[str, Any]:
    """Single-query latency of search(i) on one thread, and its recall@10 against truth[i]."""
    with omp_threads(1):
        timing, found = timed(search, len(truth))
    recall = float(recalls(found, truth).mean())
    return {"p50_ms": timing.p50_ms, "p95_ms": timing.p95_ms, "recall": round(recall, 4)}


def global_search(index: faiss.Index, queries: np.ndarray) -> Callable[[int], np.ndarray]:
    return lambda i: index.search(queries[i : i + 1], K)[1][0]


def tune(
    index: faiss.Index,
    set_param: Callable[[int], None],
    grid: tuple[int, ...],
    generation: Generation,
    truths: tuple[np.ndarray, np.ndarray],
    target: float,
) -> dict[str, Any]:
    """Sweep the grid; keep the smallest value whose recall on the tuning queries reaches the
    target with 95% confidence (200 queries alone vary by a few points between query sets)."""
    eval_truth, tuning_truth = truths
    sweep = []
    for value in grid:
        set_param(value)
        with omp_threads(1):
            tuning = recalls(index.search(generation.tuning_queries, K)[1], tuning_truth)
        stats = search_stats(global_search(index, generation.queries), eval_truth)
        tuned = {"tuning_recall": round(float(tuning.mean()), 4)}
        tuned["tuning_recall_lower95"] = round(lower_bound_95(tuning), 4)
        sweep.append({"value": value} | tuned | stats)
    chosen = next((s for s in sweep if s["tuning_recall_lower95"] >= target), sweep[-1])
    return {"chosen": chosen, "sweep": sweep}


def build_flat(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    return index


def build_hnsw(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.add(vectors)
    return index


def ivf_lists(n: int) -> int:
    return max(1, round(4 * math.sqrt(n)))


def build_ivf(vectors: np.ndarray) -> faiss.Index:
    lists = ivf_lists(len(vectors))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = IVF_TRAIN_POINTS_PER_LIST
    index.cp.min_points_per_centroid = 1  # small sizes train on what there is, without warnings
    index.train(vectors)
    index.add(vectors)
    return index


def flat_section(flat: faiss.Index, generation: Generation, truth: np.ndarray) -> dict[str, Any]:
    search = global_search(flat, generation.queries)
    with omp_threads(ALL_THREADS):
        all_cores = timed(search, min(THREAD_CHECK_QUERIES, len(truth)))[0]
    return search_stats(search, truth) | {f"p50_ms_{ALL_THREADS}_threads": all_cores.p50_ms}


def show_limited(flat: faiss.Index, generation: Generation) -> dict[str, Any]:
    """The three ways to search one show's chunks, each against exact search over that show."""
    queries, shows = generation.queries, generation.query_shows
    spans = [generation.show_rows(int(s)) for s in shows]
    truth = [
        start + exact_top_k(generation.vectors[start:end], query[None])[0]
        for query, (start, end) in zip(queries, spans, strict=True)
    ]
    rows = {int(s): np.arange(*generation.show_rows(int(s)), dtype=np.int64) for s in set(shows)}

    def by_batch(i: int) -> np.ndarray:
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows[int(shows[i])]))
        return flat.search(queries[i : i + 1], K, params=params)[1][0]

    def by_range(i: int) -> np.ndarray:
        params = faiss.SearchParameters(sel=faiss.IDSelectorRange(*spans[i]))
        return flat.search(queries[i : i + 1], K, params=params)[1][0]

    started = time.perf_counter()
    partitions = [
        build_flat(generation.vectors[slice(*generation.show_rows(s))])
        for s in range(len(generation.show_starts) - 1)
    ]
    partition_build_s = time.perf_counter() - started

    def by_partition(i: int) -> np.ndarray:
        found = partitions[int(shows[i])].search(queries[i : i + 1], K)[1][0]
        return np.where(found >= 0, found + spans[i][0], -1)

    approaches = {"batch_selector": by_batch, "partition": by_partition, "range_selector": by_range}
    results: dict[str, Any] = {
        name: search_stats(search, truth) for name, search in approaches.items()
    }
    results["partition"]["build_s"] = round(partition_build_s, 2)
    sizes = [end - start for start, end in spans]
    results["query_show_chunks"] = {"median": int(np.median(sizes)), "max": int(max(sizes))}
    return results


def pseudo_word(number: int) -> str:
    letters = []
    number += 1
    while number:
        number, digit = divmod(number, len(SYLLABLES))
        letters.append(SYLLABLES[digit])
    return "".join(letters)


def synthesise_texts(generation: Generation, seed: int) -> list[str]:
    """One text per chunk: Zipfian words, names of the chunk's show, English stopwords."""
    rng = np.random.default_rng([seed, generation.size, 1])
    shows = len(generation.show_starts) - 1
    stopwords = sorted(STOPWORDS)
    lexicon = np.array(
        stopwords + [pseudo_word(i) for i in range(LEXICON_SIZE + shows * NAMES_PER_SHOW)],
        dtype=object,
    )
    lengths = np.clip(rng.normal(WORDS_MEAN, WORDS_SD, generation.size), WORDS_MIN, WORDS_MAX)
    lengths = lengths.astype(np.int64)
    total = int(lengths.sum())
    zipf_cdf = np.cumsum(np.arange(1, LEXICON_SIZE + 1) ** -ZIPF_POWER)
    words = len(stopwords) + np.searchsorted(zipf_cdf / zipf_cdf[-1], rng.random(total))
    token_show = np.repeat(np.repeat(np.arange(shows), np.diff(generation.show_starts)), lengths)
    names = len(stopwords) + LEXICON_SIZE + token_show * NAMES_PER_SHOW
    names += rng.integers(0, NAMES_PER_SHOW, total)
    kind = rng.random(total)
    words = np.where(kind < NAME_SHARE, names, words)
    words = np.where(kind > 1 - STOPWORD_SHARE, rng.integers(0, len(stopwords), total), words)
    tokens = lexicon[words].tolist()
    ends = np.cumsum(lengths).tolist()
    return [
        " ".join(tokens[end - length : end])
        for end, length in zip(ends, lengths.tolist(), strict=True)
    ]


def tokenize(text: str) -> list[str]:
    """Lowercased words without stopwords, like askshow.lexical.tokenize."""
    return [w for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def write_chunk_store(path: Path, texts: list[str], generation: Generation) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(STORE_SCHEMA)
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                (
                    (
                        row,
                        f"c{row}",
                        f"a{article}",
                        "Plot",
                        0,
                        len(text),
                        text,
                        f"Show: Plot\n{text}",
                    )
                    for row, (article, text) in enumerate(
                        zip(generation.article_of.tolist(), texts, strict=True)
                    )
                ),
            )
    finally:
        db.close()


def text_section(generation: Generation, seed: int, folder: Path) -> dict[str, Any]:
    """BM25 and SQLite store over synthetic chunk texts: build, disk, score-all latency."""
    texts = synthesise_texts(generation, seed)
    started = time.perf_counter()
    model = bm25s.BM25()
    model.index([tokenize(t) or [""] for t in texts], show_progress=False)
    model.save(str(folder / "bm25"), show_progress=False)
    bm25_build_s = time.perf_counter() - started
    started = time.perf_counter()
    write_chunk_store(folder / "store.sqlite", texts, generation)
    store_build_s = time.perf_counter() - started

    vocabulary = set(model.vocab_dict)
    rng = np.random.default_rng([seed, generation.size, 2])
    queries = []
    for row in rng.integers(0, generation.size, len(generation.queries)):
        words = [w for w in tokenize(texts[row]) if w in vocabulary] or [next(iter(vocabulary))]
        queries.append(rng.choice(words, min(QUERY_WORDS, len(words)), replace=False).tolist())

    def score_all(i: int) -> None:
        model.get_scores(queries[i])

    scoring = timed(score_all, len(queries))[0]
    return {
        "extrapolated_from": None,
        "bm25_build_s": round(bm25_build_s, 2),
        "bm25_mb": round(disk_bytes(folder / "bm25") / 1e6, 1),
        "bm25_score_all_p50_ms": scoring.p50_ms,
        "bm25_score_all_p95_ms": scoring.p95_ms,
        "store_build_s": round(store_build_s, 2),
        "store_mb": round(disk_bytes(folder / "store.sqlite") / 1e6, 1),
    }


def extrapolate_text(measured: dict[str, Any], from_size: int, size: int) -> dict[str, Any]:
    """Linear in chunks: build times, disk sizes and score-all latency all scale with n."""
    factor = size / from_size
    scaled = {k: None if v is None else round(v * factor, 2) for k, v in measured.items()}
    return scaled | {"extrapolated_from": from_size}


def predicted_seconds(last: tuple[int, float] | None, size: int, n_log_n: bool = False) -> float:
    """Seconds at this size from (size, seconds) measured at a smaller one: linear or n log n."""
    if last is None:
        return 0.0
    last_size, seconds = last
    growth = size / last_size
    if n_log_n:
        growth *= math.log(size) / math.log(last_size)
    return seconds * growth


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return round(kb / 1024, 1)


class Bench:
    """Runs the sizes in increasing order, carrying the budgets' predictions between them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.last_hnsw: tuple[int, float] | None = None
        self.last_text: tuple[int, float] | None = None
        self.text_measured: dict[str, Any] | None = None

    def run_size(self, n: int) -> dict[str, Any]:
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        generation = synthesise(n, self.args.queries, self.args.seed)
        result: dict[str, Any] = {"chunks": n, "shows": len(generation.show_starts) - 1}
        result["synthesis_s"] = round(time.perf_counter() - started, 1)
        truth = exact_top_k(generation.vectors, generation.queries)
        tuning_truth = exact_top_k(generation.vectors, generation.tuning_queries)
        with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
            folder = Path(tmp)
            flat, result["flat"] = measure_index(
                "flat", lambda: build_flat(generation.vectors), folder
            )
            result["flat"] |= flat_section(flat, generation, truth)
            result["hnsw"] = self.hnsw_section(generation, (truth, tuning_truth), folder)
            result["ivf"] = self.ivf_section(generation, (truth, tuning_truth), folder)
            result["show_limited"] = show_limited(flat, generation)
            del flat
            result["text"] = self.text_section(generation, folder)
        result["bench_rss_mb"] = rss_mb()
        result["bench_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        result["wall_s"] = round(time.perf_counter() - started, 1)
        return result

    def hnsw_section(
        self, generation: Generation, truths: tuple[np.ndarray, np.ndarray], folder: Path
    ) -> dict[str, Any]:
        predicted = predicted_seconds(self.last_hnsw, generation.size, n_log_n=True)
        if predicted > self.args.hnsw_budget:
            return {
                "skipped": f"predicted build {predicted:.0f} s > --hnsw-budget {self.args.hnsw_budget:.0f} s"
            }
        index, stats = measure_index("hnsw", lambda: build_hnsw(generation.vectors), folder)
        self.last_hnsw = (generation.size, stats["build_s"])

        def set_ef(value: int) -> None:
            index.hnsw.efSearch = value

        stats |= {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
        return stats | tune(
            index, set_ef, EF_SEARCH_GRID, generation, truths, self.args.target_recall
        )

    def ivf_section(
        self, generation: Generation, truths: tuple[np.ndarray, np.ndarray], folder: Path
    ) -> dict[str, Any]:
        index, stats = measure_index("ivf", lambda: build_ivf(generation.vectors), folder)
        grid = tuple(p for p in NPROBE_GRID if p <= index.nlist)

        def set_nprobe(value: int) -> None:
            index.nprobe = value

        stats["nlist"] = index.nlist
        return stats | tune(index, set_nprobe, grid, generation, truths, self.args.target_recall)

    def text_section(self, generation: Generation, folder: Path) -> dict[str, Any]:
        predicted = predicted_seconds(self.last_text, generation.size)
        if predicted > self.args.text_budget and self.last_text and self.text_measured:
            return extrapolate_text(self.text_measured, self.last_text[0], generation.size) | {
                "reason": f"predicted {predicted:.0f} s > --text-budget {self.args.text_budget:.0f} s"
            }
        started = time.perf_counter()
        self.text_measured = text_section(generation, self.args.seed, folder)
        build_s = self.text_measured["bm25_build_s"] + self.text_measured["store_build_s"]
        self.last_text = (generation.size, build_s)
        return self.text_measured | {"stage_s": round(time.perf_counter() - started, 1)}


def crossover(results: list[dict[str, Any]], target: float) -> dict[str, Any]:
    """Where flat p50 passes FLAT_BUDGET_MS (log-log interpolated) and what should take over."""
    sizes = [r["chunks"] for r in results]
    p50s = [r["flat"]["p50_ms"] for r in results]
    above = next((i for i, p in enumerate(p50s) if p > FLAT_BUDGET_MS), None)
    if above is None:
        return {"flat_budget_ms": FLAT_BUDGET_MS, "chunks": None, "note": "flat stays under budget"}
    estimate = sizes[above]
    if above > 0:
        (n0, n1), (t0, t1) = sizes[above - 1 : above + 1], p50s[above - 1 : above + 1]
        slope = math.log(t1 / t0) / math.log(n1 / n0)
        estimate = round(n0 * (FLAT_BUDGET_MS / t0) ** (1 / slope))
    candidates = [
        (results[above][name]["chosen"]["p50_ms"], name, results[above][name]["chosen"]["value"])
        for name in ("hnsw", "ivf")
        if "chosen" in results[above][name] and results[above][name]["chosen"]["recall"] >= target
    ]
    best = min(candidates, default=None)
    return {
        "flat_budget_ms": FLAT_BUDGET_MS,
        "first_size_above": sizes[above],
        "chunks": estimate,
        "takes_over": None
        if best is None
        else {"index": best[1], "param": best[2], "p50_ms": best[0]},
    }


def show_limited_verdict(result: dict[str, Any], target: float) -> dict[str, bool]:
    return {
        name: stats["p50_ms"] <= SHOW_LIMITED_BUDGET_MS and stats["recall"] >= target
        for name, stats in result["show_limited"].items()
        if name != "query_show_chunks"
    }


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---:"] + ["---"] * (len(header) - 1), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def timing_cell(stats: dict[str, Any]) -> str:
    return f"{stats['p50_ms']:.2f} / {stats['p95_ms']:.2f} (r {stats['recall']:.3f})"


def ann_cell(stats: dict[str, Any], param: str) -> str:
    if "chosen" not in stats:
        return "skipped"
    return f"{timing_cell(stats['chosen'])} {param}={stats['chosen']['value']}"


def footprint_cell(stats: dict[str, Any]) -> str:
    if "build_s" not in stats:
        return "skipped"
    return f"{stats['build_s']:.1f} s, {stats['file_mb']:.0f} MB, {stats['process_rss_mb']:.0f} MB"


def text_cells(text: dict[str, Any]) -> list[str]:
    note = (
        f" (extrapolated from {text['extrapolated_from']:,})" if text["extrapolated_from"] else ""
    )
    return [
        f"{text['bm25_build_s']:.1f} s, {text['bm25_mb']:.0f} MB{note}",
        f"{text['bm25_score_all_p50_ms']:.1f} / {text['bm25_score_all_p95_ms']:.1f}{note}",
        f"{text['store_build_s']:.1f} s, {text['store_mb']:.0f} MB{note}",
    ]


def search_row(result: dict[str, Any]) -> list[str]:
    flat, ivf = result["flat"], result["ivf"]
    return [
        f"{result['chunks']:,}",
        f"{result['shows']:,}",
        timing_cell(flat),
        f"{flat[f'p50_ms_{ALL_THREADS}_threads']:.2f}",
        ann_cell(result["hnsw"], "ef"),
        f"{ann_cell(ivf, 'nprobe')} ({ivf['nlist']})",
    ]


def show_row(result: dict[str, Any]) -> list[str]:
    show = result["show_limited"]
    chunks = show["query_show_chunks"]
    return [
        f"{result['chunks']:,}",
        f"{chunks['median']:,} / {chunks['max']:,}",
        timing_cell(show["batch_selector"]),
        f"{timing_cell(show['partition'])} ({show['partition']['build_s']:.1f} s)",
        timing_cell(show["range_selector"]),
    ]


def footprint_row(result: dict[str, Any]) -> list[str]:
    indexes = [footprint_cell(result[name]) for name in ("flat", "hnsw", "ivf")]
    return [f"{result['chunks']:,}", *indexes, *text_cells(result["text"])]


SEARCH_HEADER = [
    "chunks",
    "shows",
    "flat p50 / p95 ms (recall)",
    f"flat p50, {ALL_THREADS} threads",
    "HNSW M=32 efC=40",
    "IVF (nlist)",
]
SHOW_HEADER = [
    "chunks",
    "show chunks median / max",
    "flat + IDSelectorBatch",
    "per-show flat partitions (build)",
    "flat + IDSelectorRange",
]
FOOTPRINT_HEADER = [
    "chunks",
    "flat build, file, RSS",
    "HNSW build, file, RSS",
    "IVF build, file, RSS",
    "BM25 build, disk",
    "BM25 score-all p50 / p95 ms",
    "SQLite store build, disk",
]


def tables(results: list[dict[str, Any]]) -> str:
    """Markdown tables of the headline numbers: global search, show-limited search, footprint."""
    return "\n\n".join(
        markdown(header, [row(r) for r in results])
        for header, row in (
            (SEARCH_HEADER, search_row),
            (SHOW_HEADER, show_row),
            (FOOTPRINT_HEADER, footprint_row),
        )
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write every number to this JSON file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--hnsw-budget", type=float, default=900.0, help="seconds")
    parser.add_argument("--text-budget", type=float, default=300.0, help="seconds")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    bench = Bench(args)
    results = []
    for n in sizes:
        results.append(bench.run_size(n))
        print(json.dumps(results[-1]), flush=True)
    summary = {
        "settings": {
            "dimension": DIM,
            "k": K,
            "queries": args.queries,
            "seed": args.seed,
            "target_recall": args.target_recall,
            "build_threads": ALL_THREADS,
            "search_threads": 1,
            "faiss": faiss.__version__,
            "bm25s": bm25s.__version__,
            "hnsw_budget_s": args.hnsw_budget,
            "text_budget_s": args.text_budget,
        },
        "sizes": results,
        "crossover": crossover(results, args.target_recall),
        "show_limited_at_largest": show_limited_verdict(results[-1], args.target_recall),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(tables(results))
    print("crossover:", json.dumps(summary["crossover"]))
    print(
        f"show-limited at {sizes[-1]:,} chunks (p50 <= {SHOW_LIMITED_BUDGET_MS} ms, recall >= {args.target_recall}):",
        json.dumps(summary["show_limited_at_largest"]),
    )
    print(f"total {summary['total_s']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
