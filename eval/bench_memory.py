"""Memory one serving process spends per chunk of the live generation, for scaling estimates.

Loads and prepares the live generation once (which also pays one-off imports and tables),
then a second copy, and reports the second copy's RSS growth per chunk and per sentence, with
the generation's files per chunk beside it. The README's "What 1M and 10M chunks would take"
scales this number.
Run: .venv/bin/python eval/bench_memory.py [--index index]
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

from askshow.index import load_current
from askshow.settings import get_settings
from askshow.strategy import Loaded


def rss_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024


def loaded_copy(index: Path) -> Loaded:
    loaded = Loaded(load_current(index))
    loaded.prepare()  # what a serving engine derives before going live
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    index = get_settings().with_overrides(index_dir=args.index).index_dir
    first = loaded_copy(index)
    gc.collect()
    before = rss_bytes()
    second = loaded_copy(index)
    gc.collect()
    grown = rss_bytes() - before
    generation = second.generation
    chunks, sentences = len(generation.chunks), len(generation.sentences)
    print(f"generation {generation.id}: {chunks} chunks, {sentences} sentences")
    print(f"one more copy in memory: {grown / 1e6:.1f} MB = {grown / chunks / 1e3:.1f} KB per "
          f"chunk, {grown / sentences / 1e3:.2f} KB per sentence")  # fmt: skip
    for path in sorted(generation.path.iterdir()):
        files = [path] if path.is_file() else list(path.rglob("*"))
        size = sum(f.stat().st_size for f in files if f.is_file())
        print(f"  {path.name:<16} {size / chunks / 1e3:6.2f} KB per chunk on disk")
    assert first.generation.id == generation.id


if __name__ == "__main__":
    main()
