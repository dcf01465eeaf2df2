"""Check a golden JSONL file against its articles.

Usage: python3 check.py QUESTIONS.jsonl ARTICLES_DIR
Prints every problem; exit 1 if any.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

CATEGORIES = {"release", "cast", "plot", "other", "unanswerable"}


def norm(s):
    return re.sub(r"\s+", " ", s).strip().casefold()


path, folder = Path(sys.argv[1]), Path(sys.argv[2])
texts = {
    p.stem: norm(p.read_text(encoding="utf-8"))
    for p in folder.iterdir()
    if p.suffix in (".md", ".txt")
}
problems, ids, cats = [], set(), Counter()
for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        continue
    try:
        item = json.loads(line)
    except json.JSONDecodeError as e:
        problems.append(f"line {n}: not JSON ({e})")
        continue
    for key in ("id", "question", "category", "expected_any", "sources", "note"):
        if key not in item:
            problems.append(f"line {n}: missing {key!r}")
    if item.get("id") in ids:
        problems.append(f"line {n}: duplicate id {item.get('id')}")
    ids.add(item.get("id"))
    cat = item.get("category")
    cats[cat] += 1
    if cat not in CATEGORIES:
        problems.append(f"line {n}: category {cat!r} not in {sorted(CATEGORIES)}")
    expected, sources = item.get("expected_any", []), item.get("sources", [])
    for s in sources:
        if s not in texts:
            problems.append(f"line {n}: source {s!r} is not an article in {folder}")
    if cat == "unanswerable":
        if expected or sources:
            problems.append(f"line {n}: unanswerable items need empty expected_any and sources")
        continue
    if not expected:
        problems.append(f"line {n}: answerable item without expected_any")
    if not sources:
        problems.append(f"line {n}: answerable item without sources")
    for e in expected:
        if re.fullmatch(r"\d{4}", e.strip()):
            problems.append(f"line {n}: {e!r} is a bare year")
        found = [s for s in sources if s in texts and norm(e) in texts[s]]
        if not found:
            problems.append(f"line {n}: {e!r} occurs in none of its sources {sources}")
for p in problems:
    print(p)
total = sum(cats.values())
print(
    f"{total} questions: "
    + ", ".join(f"{c} {k} ({k / total:.0%})" for c, k in sorted(cats.items(), key=str))
)
sys.exit(1 if problems else 0)
