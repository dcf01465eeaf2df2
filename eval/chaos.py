"""Chaos run: SIGKILL `askshow index build` at random points and check what survives each kill.

Run: .venv/bin/python eval/chaos.py [--runs 50] [--seed 7] [--targeted 0.4]
Works on two small articles from tests/data copied into a temporary folder; the real corpus/
and index/ are never touched. Exits 1 if any kill left a live generation that does not load
or answer, or left more stray folders than one interrupted build may.

Before the runs, one uninterrupted build is timed (duration D) and watched, to learn when its
temporary generation folder appears, when its manifest is written (the last file, before
verification) and when CURRENT is replaced. The corpus changes before every build (a
sentence appended to one article), so each build has a new generation to publish and there
is something to lose. Each run kills a build (delays seeded):
- "uniform": after a delay drawn uniformly from [0, D] (most runs);
- "write" (half the `--targeted` share): a delay drawn from [0, time the timed build took
  from its temporary folder to its manifest] after this build's temporary folder appears;
- "swap" (the other half): a delay drawn from [0, 1.5 x time from manifest to CURRENT] after
  this build's manifest appears: verification, rename, CURRENT swap and some of the prune.
Start-up and model loading take most of a build, so uniform delays alone would seldom hit
the few hundred ms that matter most. A build that finishes before its kill is not counted
as a run (its live generation is checked all the same); its duration becomes the new D,
since builds on a shared machine vary in length.

After each kill: CURRENT names a generation that loads and verifies, never an older one than
before the kill; a newly published one holds exactly the corpus the killed build read; the
engine answers two questions from it with citations whose quotes are the article text at
their offsets; and generations/ holds at most one folder beyond what a finished build keeps
(the newest `keep` and the live one): the killed build's own temporary folder, its renamed
but unpublished generation, or a generation its prune had half removed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from askshow.embedding import Embedder
from askshow.engine import Engine
from askshow.index import (
    MANIFEST,
    Manifest,
    corpus_fingerprint,
    current_generation_id,
    load_current,
)
from askshow.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ("lantern-bay-season-3.txt", "stranger-things-season-5-confirmed.md")
QUESTIONS = {  # question -> a fact the answer must hold
    "who plays captain rhea vance in lantern bay": "Dana Okafor",
    "when does stranger things 5 come out": "November 26, 2025",
}
KEEP = 3
POLL = 0.002  # seconds between looks at the index folder while waiting for a phase


@dataclass
class Outcome:
    run: int
    mode: str
    at: float
    """seconds from the build's start to its kill (or its end)"""
    phase: str
    killed: bool
    problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)


def build_command() -> list[str]:
    return [sys.executable, "-m", "askshow.cli", "index", "build", "--json"]


def start_build(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        build_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def temp_folders(index_dir: Path) -> set[str]:
    root = index_dir / "generations"
    if not root.is_dir():
        return set()
    return {p.name for p in root.iterdir() if p.name.startswith(".tmp-")}


def generation_folders(index_dir: Path) -> set[str]:
    return {p.name for p in (index_dir / "generations").iterdir() if not p.name.startswith(".")}


def leftovers(index_dir: Path, keep: int) -> list[str]:
    """What a finished build would not leave: temporary folders, and generations that are
    neither live nor among the newest `keep`."""
    live = current_generation_id(index_dir)
    names = sorted(generation_folders(index_dir), reverse=True)
    extra = [n for n in names[keep:] if n != live]
    return sorted(temp_folders(index_dir)) + extra


def change_corpus(corpus: Path, run: int) -> str:
    """Append one new sentence to one article; return it (the next generation must hold it)."""
    name = ARTICLES[run % len(ARTICLES)]
    sentence = f"Chaos note {run}: the crew filmed scene {run} at the harbour."
    with (corpus / name).open("a") as handle:
        handle.write(f"\n{sentence}\n")
    return sentence


def new_temp_folder(index_dir: Path, before: set[str], manifest: bool = False) -> bool:
    """A temporary generation folder not in `before` exists (holding its manifest, if asked)."""
    root = index_dir / "generations"
    return any(
        not manifest or (root / t / MANIFEST).exists() for t in temp_folders(index_dir) - before
    )


def time_one_build(env: dict[str, str], index_dir: Path) -> dict[str, float]:
    """Seconds from its start to each milestone of one whole build."""
    before, temps = current_generation_id(index_dir), temp_folders(index_dir)
    started = time.monotonic()
    process = start_build(env)
    seen: dict[str, float] = {}
    while process.poll() is None:
        now = time.monotonic() - started
        if new_temp_folder(index_dir, temps):
            seen.setdefault("temporary", now)
        if new_temp_folder(index_dir, temps, manifest=True):
            seen.setdefault("manifest", now)
        if current_generation_id(index_dir) != before:
            seen.setdefault("published", now)
        time.sleep(POLL)
    seen["exit"] = time.monotonic() - started
    if process.returncode != 0 or len(seen) < 4:
        sys.exit(f"the timed build failed or was not seen at each step (exit {process.returncode})")
    return seen


def kill_build(env: dict[str, str], index_dir: Path, mode: str, delay: float) -> tuple[bool, float]:
    """Start a build and SIGKILL it; (True if it was killed, seconds from start to the kill)."""
    temps = temp_folders(index_dir)
    started = time.monotonic()
    process = start_build(env)
    if mode in ("write", "swap"):  # the delay counts from this build's temporary folder/manifest
        while process.poll() is None and not new_temp_folder(index_dir, temps, mode == "swap"):
            time.sleep(POLL)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True, time.monotonic() - started
    return False, time.monotonic() - started


def phase_of(
    index_dir: Path, live_before: str | None, generations_before: set[str], launched_ns: int
) -> str:
    """Where the build was when it died, read from what it left behind."""
    if current_generation_id(index_dir) != live_before:
        return "after publish (prune, exit)"
    swap = index_dir / "CURRENT.tmp"
    if swap.exists() and swap.stat().st_mtime_ns >= launched_ns:
        return "while swapping CURRENT"
    if generation_folders(index_dir) - generations_before:
        return "between rename and publish"
    fresh = [
        index_dir / "generations" / t
        for t in temp_folders(index_dir)
        if (index_dir / "generations" / t).stat().st_mtime_ns >= launched_ns
    ]
    if any((t / MANIFEST).exists() for t in fresh):
        return "while verifying (manifest written)"
    if fresh:
        return "while writing the generation's files"
    return "before writing (start-up, reading, embedding)"


def check_live(
    engine: Engine,
    embedder: Embedder,
    index_dir: Path,
    corpus: Path,
    live_before: str | None,
    sentence: str,
) -> list[str]:
    """Problems with the live generation after a kill; empty when it is whole and answers."""
    try:
        generation = load_current(index_dir, embedder)
    except Exception as exc:  # any failure to load is what this run is looking for
        return [f"live generation does not load: {type(exc).__name__}: {exc}"]
    problems = []
    if live_before is not None and generation.id < live_before:
        problems.append(f"CURRENT went back from {live_before} to {generation.id}")
    if generation.id != live_before:
        corpus_hash, _ = corpus_fingerprint(corpus)
        if Manifest.read(generation.path).corpus_hash != corpus_hash:
            problems.append(f"{generation.id} was not built from the corpus the build read")
        if not any(sentence in a.text for a in generation.articles.values()):
            problems.append(f"{generation.id} lacks the sentence added before its build")
    engine.swap(generation)
    for question, fact in QUESTIONS.items():
        answer = engine.ask(question)
        if answer.abstained or fact not in answer.answer:
            problems.append(f"{question!r}: expected {fact!r}, got {answer.answer[:120]!r}")
        for c in answer.citations:
            if generation.articles[c.article_id].text[c.start : c.end] != c.quote:
                problems.append(f"{question!r}: citation [{c.n}] quote is not at its offsets")
        if answer.index_version != generation.id:
            problems.append(f"{question!r}: answered from {answer.index_version}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="builds to kill (default 50)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the kill delays")
    parser.add_argument("--targeted", type=float, default=0.4,
                        help="share of kills aimed at the write and swap (default 0.4)")  # fmt: skip
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    wall_started = time.monotonic()

    work = Path(tempfile.mkdtemp(prefix="askshow-chaos-"))
    corpus, index_dir = work / "corpus", work / "index"
    corpus.mkdir()
    for name in ARTICLES:
        shutil.copy(ROOT / "tests" / "data" / name, corpus / name)
    env = dict(
        os.environ,
        ASKSHOW_CORPUS_DIR=str(corpus),
        ASKSHOW_INDEX_DIR=str(index_dir),
        ASKSHOW_KEEP_GENERATIONS=str(KEEP),
    )
    settings = load_settings(env)
    try:
        first = subprocess.run(build_command(), env=env, capture_output=True, text=True)
        if first.returncode != 0:  # also exports the ONNX model into index/cache once
            sys.exit(f"the first build failed:\n{first.stderr[-2000:]}")
        embedder = Embedder.from_settings(settings)
        engine = Engine(load_current(index_dir, embedder), embedder, cache_size=0)
        change_corpus(corpus, -1)
        timed = time_one_build(env, index_dir)
        duration = timed["exit"]
        write_window = timed["manifest"] - timed["temporary"]
        swap_window = (timed["published"] - timed["manifest"]) * 1.5
        print(f"one build: {duration:.1f} s; temporary generation at {timed['temporary']:.2f} s, "
              f"manifest at {timed['manifest']:.2f} s, CURRENT replaced at "
              f"{timed['published']:.2f} s")  # fmt: skip

        outcomes: list[Outcome] = []
        note = 0
        while sum(o.killed for o in outcomes) < args.runs:
            sentence = change_corpus(corpus, note)
            note += 1
            live_before = current_generation_id(index_dir)
            generations_before = generation_folders(index_dir)
            if rng.random() >= args.targeted:
                mode, delay = "uniform", rng.uniform(0, duration)
            elif rng.random() < 0.5:
                mode, delay = "write", rng.uniform(0, write_window)
            else:
                mode, delay = "swap", rng.uniform(0, swap_window)
            launched_ns = time.time_ns()
            killed, at = kill_build(env, index_dir, mode, delay)
            if killed:
                phase = phase_of(index_dir, live_before, generations_before, launched_ns)
            else:
                phase, duration = "finished before the kill", at  # a fresh measure of D
            outcome = Outcome(sum(o.killed for o in outcomes) + killed, mode, at, phase, killed)
            outcome.problems = check_live(
                engine, embedder, index_dir, corpus, live_before, sentence
            )
            outcome.leftovers = leftovers(index_dir, KEEP)
            if len(outcome.leftovers) > 1:
                outcome.problems.append(f"stray folders pile up: {outcome.leftovers}")
            outcomes.append(outcome)
            verdict = "ok" if not outcome.problems else "FAIL: " + "; ".join(outcome.problems)
            label = f"run {outcome.run:3d}" if killed else "(no run)"
            print(f"{label} {mode:7s} {'kill' if killed else 'done'} at {at:5.2f} s  {phase:46s} "
                  f"leftovers {len(outcome.leftovers)}  {verdict}", flush=True)  # fmt: skip

        # A finished build after the chaos cleans up everything the kills left.
        change_corpus(corpus, note)
        final = subprocess.run(build_command(), env=env, capture_output=True, text=True)
        after = leftovers(index_dir, KEEP) if final.returncode == 0 else ["(final build failed)"]
        ask = subprocess.run(
            [sys.executable, "-m", "askshow.cli", "ask", "--json", next(iter(QUESTIONS))],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        cli_ok = ask.returncode == 0 and QUESTIONS[next(iter(QUESTIONS))] in ask.stdout
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)

    runs = [o for o in outcomes if o.killed]
    survived = sum(not o.problems for o in runs)
    uncut = [o for o in outcomes if not o.killed]
    print(f"\nsurvived: {survived}/{len(runs)} kills (and {len(uncut)} build(s) that finished "
          f"before their kill: {sum(not o.problems for o in uncut)} fine)")  # fmt: skip
    for phase, count in Counter(o.phase for o in outcomes).most_common():
        print(f"  {count:3d} {'' if 'finished' in phase else 'killed '}{phase}")
    stray = [o for o in outcomes if o.leftovers]
    print(f"leftovers after a kill: {sum(len(o.leftovers) for o in outcomes)} in {len(stray)} "
          f"run(s), at most {max((len(o.leftovers) for o in outcomes), default=0)} at once "
          f"(1 allowed); after a finished build: {len(after)} {after or ''}")  # fmt: skip
    print(f"`askshow ask` on the final index: {'ok' if cli_ok else 'FAILED'}")
    print(f"wall time: {time.monotonic() - wall_started:.0f} s")
    if any(o.problems for o in outcomes) or after or not cli_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
