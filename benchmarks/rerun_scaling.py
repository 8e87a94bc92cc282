"""What a re-run costs per review when nothing has changed, so a long manifest's re-run time can be predicted.

Every ``casereview run`` re-checks each review on its manifest (fetch or read the file, compare its hash) as one
Prefect task. This builds manifests of N and 5N rows from the demo corpus's readable reviews (each copied under
new review ids, the PDFs shared), processes the larger once into a temporary database, then times fresh no-op runs
of both sizes. Prints the flow time (the run summary's seconds, start-up excluded) and the whole command's time
for each, and the extra seconds per review between the two sizes.

Usage:  .venv/bin/python benchmarks/rerun_scaling.py [REPEATS]     (default 2)
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus_manifest" / "demo.csv"
COPIES = 5
RUN = """
import json, sys
from pathlib import Path
from pipeline.flow import RunOptions, run_pipeline
from pipeline.settings import models_dir, quiet_third_parties
quiet_third_parties()
summary = run_pipeline(Path(sys.argv[1]), RunOptions(db_path=Path(sys.argv[2]), workers=2,
                       theme_model=models_dir() / "themes-v1", progress=False))
print(json.dumps({"seconds": summary["seconds"]}))
"""


def readable_demo_rows() -> list[dict]:
    """The demo manifest's rows whose PDF has a text layer (the broken, missing and scanned inputs left out)."""
    with DEMO.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle)
                if not any(word in row["source"] for word in ("broken", "missing", "scanned"))]


def demo_manifests(folder: Path, copies: tuple[int, ...]) -> dict[int, tuple[Path, int]]:
    """In ``folder`` (with the demo PDFs linked in), a manifest of the readable demo reviews copied each number
    of times in ``copies``: copies -> (manifest, number of rows)."""
    (folder / "demo").symlink_to(DEMO.parent / "demo")
    rows = readable_demo_rows()
    return {count: (folder / f"manifest-{count}.csv", write_manifest(folder / f"manifest-{count}.csv", rows, count))
            for count in copies}


def write_manifest(path: Path, rows: list[dict], copies: int) -> int:
    out = [{**row, "review_id": f"{row['review_id']}-copy{k}"} for k in range(copies) for row in rows]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(out)
    return len(out)


def timed_run(manifest: Path, db: Path, env: dict) -> tuple[float, float]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", RUN, str(manifest), str(db)], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"], wall


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sizes = dict(demo_manifests(folder, (1, COPIES)).values())  # manifest -> rows
        db = folder / "rerun.duckdb"
        env = {**os.environ, "CASEREVIEW_OUTPUTS": str(folder)}
        first = timed_run(folder / f"manifest-{COPIES}.csv", db, env)
        print(f"first run, {sizes[folder / f'manifest-{COPIES}.csv']} reviews processed: {first[1]:.1f} s")
        flow: dict[Path, list[float]] = {m: [] for m in sizes}
        wall: dict[Path, list[float]] = {m: [] for m in sizes}
        for _ in range(repeats):
            for manifest in sizes:
                seconds, whole = timed_run(manifest, db, env)
                flow[manifest].append(seconds)
                wall[manifest].append(whole)
        for manifest, count in sizes.items():
            print(f"{count:4d} unchanged reviews: flow {statistics.median(flow[manifest]):.1f} s, "
                  f"whole command {statistics.median(wall[manifest]):.1f} s (medians of {repeats})")
        small, large = sizes
        per_review = ((statistics.median(flow[large]) - statistics.median(flow[small]))
                      / (sizes[large] - sizes[small]))
        print(f"extra time per unchanged review: {per_review:.3f} s")


if __name__ == "__main__":
    main()
