"""The README's figures on what the pipeline leaves untagged, measured on a database (the demo one by default):

1. passages under a heading on how the review was done (method, scope, acknowledgements...), which the
   pipeline does not tag: how many tags the theme model alone would give them;
2. elsewhere, the review-process check: how many tags it would drop if the passage alone decided, and how many
   it drops as the pipeline does it (the passage and the tag's evidence sentence both about the review).

    .venv/bin/python scripts/untagged_sections.py [DB]
"""

from __future__ import annotations

import sys
from collections import defaultdict

import duckdb
import numpy as np

from pipeline.records import Passage
from pipeline.settings import default_db, models_dir
from pipeline.themes.model import ThemeModel
from pipeline.themes.sections import untagged_passages


def main(db_path: str) -> None:
    with duckdb.connect(db_path, read_only=True) as con:
        rows = con.execute("SELECT passage_id, review_id, seq, text, page_start, page_end, section, char_start, "
                           "char_end FROM passages ORDER BY review_id, seq").fetchall()
        sentences: dict[str, list[str]] = defaultdict(list)
        for passage_id, text in con.execute("SELECT passage_id, text FROM sentences ORDER BY passage_id, seq"
                                            ).fetchall():
            sentences[passage_id].append(text)
    by_review: dict[str, list[Passage]] = defaultdict(list)
    for row in rows:
        by_review[row[1]].append(Passage(*row))
    left_out = {passage_id for passages in by_review.values() for passage_id in untagged_passages(passages)}
    model = ThemeModel.load(models_dir() / "themes-v1")
    method = [p for passages in by_review.values() for p in passages if p.passage_id in left_out]
    tagged = [themes for themes in model.labels([p.text for p in method]) if themes]
    print(f"{len(method)} passages under method-like headings in {len(by_review)} reviews; the model alone gives "
          f"{sum(map(len, tagged))} tags to {len(tagged)} of them")

    others = [p for passages in by_review.values() for p in passages if p.passage_id not in left_out]
    scores, by_sentence, (passage_about, sentence_about) = model._score_with_process_flags(
        [p.text for p in others], [sentences[p.passage_id] or [p.text] for p in others])
    hits = scores >= model._threshold_row
    alone = [(i, j) for i, j in zip(*np.nonzero(hits), strict=True) if passage_about[i]]
    both = [(i, j) for i, j in alone if sentence_about[i][int(np.argmax(by_sentence[i][:, j]))]]
    print(f"elsewhere {int(hits.sum())} tags; the review-process check would drop {len(alone)} tags in "
          f"{len({i for i, _ in alone})} passages on the passage alone, and drops {len(both)} in "
          f"{len({i for i, _ in both})} passages with its evidence sentence too:")
    for i, j in both:
        print(f"  - {model.themes[j]}: {others[i].text[:100]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(default_db()))
