"""How long `casereview serve` takes to answer, against the search it wraps, measured in the same run.

Starts the web server on 127.0.0.1 (any free port) over a database (default: the demo one, made by
``make demo``), then for each query times (a) ``pipeline.search.search_with_forms`` called directly, the
baseline, and (b) the search page fetched over HTTP, which adds the form's choices, the notes and the HTML;
and times passage pages (the passage, its neighbours, themes and nearest passages by embedding). Prints the
median and 95th percentile of each, and the ratio of the page to the bare search.

Usage:  .venv/bin/python benchmarks/web_latency.py [--db FILE] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.search import search_with_forms  # noqa: E402
from pipeline.settings import default_db  # noqa: E402
from pipeline.web import make_server  # noqa: E402

QUERIES = [
    {"q": "seen alone"},
    {"q": "information not shared with the school"},
    {"q": '"strategy discussion"', "nation": "England"},
    {"theme": "voice_of_child"},
    {"theme": "legal_powers", "year_from": "2018"},
]


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _fetch(url: str) -> None:
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()


def _describe(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {1000 * statistics.median(ordered):6.0f} ms   p95 {1000 * p95:6.0f} ms   (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=default_db())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db}: no database; run `make demo` first, or give --db")
    server = make_server(args.db, port=0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        _fetch(site + "/?q=warm+up")  # first request loads the search code
        bare, page, passages = [], [], []
        for _ in range(args.repeat):
            for query in QUERIES:
                options = {"theme": query.get("theme"), "nation": query.get("nation"),
                           "year_from": int(query["year_from"]) if "year_from" in query else None}
                bare.append(_timed(lambda q=query, o=options: search_with_forms(args.db, q.get("q"), limit=20,
                                                                                **o)))
                page.append(_timed(lambda q=query: _fetch(site + "/?" + urlencode(q))))
        ids = [hit.passage_id for hit in search_with_forms(args.db, "child", limit=10).hits]
        for _ in range(args.repeat):
            for passage_id in ids:
                passages.append(_timed(lambda p=passage_id: _fetch(site + "/passage?" + urlencode({"id": p}))))
    finally:
        server.shutdown()
        server.server_close()
    print(f"database: {args.db}")
    print(f"search, called directly (baseline): {_describe(bare)}")
    print(f"search page over HTTP:              {_describe(page)}")
    print(f"passage page over HTTP:             {_describe(passages)}")
    print(f"search page / direct search (median): {statistics.median(page) / statistics.median(bare):.2f}x")


if __name__ == "__main__":
    main()
