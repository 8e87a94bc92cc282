"""Tests for search and "more like this": ranking, every filter, theme listings, errors, snippets, JSON output.

All tests share one small real database (5 reviews in 3 areas, written with ``Store.write_review``), built
once per module; the few tests that must see a different database build their own.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.commands.outputs import search_command, searches_command, similar_command
from pipeline.errors import CaseReviewError
from pipeline.fetch import blob_path
from pipeline.manifest import ManifestEntry
from pipeline.outputs.common import counted, open_database
from pipeline.records import Evidence, PageInfo, Passage, Sentence, ThemeTag
from pipeline.search import (
    Searcher,
    build_search_tables,
    index_outdated,
    make_snippet,
    rebuild_search,
    search,
    search_tables_fresh,
    search_with_forms,
    similar,
)
from pipeline.search_query import all_required, how_they_match, operator_note, parse_query
from pipeline.settings import store_dir_for
from pipeline.store import SEARCH_STOPWORDS, ReviewResult, Store

THEME_MODEL = "themes-test-1.0"
EMBEDDING_MODEL = "test-encoder"
MANIFEST_SHA = "c" * 64


# --------------------------------------------------------------------------- the fixture corpus


@dataclass
class P:
    """A hand-written passage: section, pages, sentences, tags (theme, probability, evidence sentence index)."""

    section: str
    pages: tuple[int, int]
    sentences: list[str]
    tags: list[tuple[str, float, int]] = field(default_factory=list)
    vector: list[float] | None = None
    footnote: bool = False


NORTHMOOR = "Northmoor Safeguarding Children Partnership"
CWM_LLWYD = "Cwm Llwyd Regional Safeguarding Board"
REVIEWS: list[dict] = [
    dict(review_id="northmoor-2019-child-d", title="Child D: a child safeguarding practice review",
         area=NORTHMOOR, nation="England", review_type="CSPR", year=2019, passages=[
             P("Findings", (3, 4), ["Information sharing between the school and children's social care was poor.",
                                    "The referral about bruising was not shared with the GP."],
               [("information_sharing", 0.92, 0), ("multi_agency_working", 0.55, 1)], [1, 0, 0, 0]),
             P("Findings", (5, 5), ["Child D was not seen alone by her social worker.",
                                    "Her wishes and feelings were never recorded."],
               [("voice_of_child", 0.88, 1)], [0, 1, 0, 0]),
             P("Analysis", (6, 6), ["The health visitor's assessment of parenting capacity was over-optimistic.",
                                    "Earlier concerns were not weighed."],
               [("assessment", 0.81, 0)], [0, 0, 1, 0]),
         ]),
    dict(review_id="northmoor-2021-family-k", title="Family K: a child safeguarding practice review",
         area=NORTHMOOR, nation="England", review_type="CSPR", year=2021, passages=[
             P("Findings", (2, 2), ["Agencies did not share information about domestic abuse before the strategy "
                                    "meeting.", "Police held reports that health staff never saw."],
               [("information_sharing", 0.74, 0), ("parental_factors", 0.60, 0)], [0.9, 0.1, 0, 0]),
             P("Family background", (3, 3), ["Mother's alcohol misuse and depression affected her parenting.",
                                             "Father's violence was known to police."],
               [("parental_factors", 0.90, 0)], [0, 0, 0, 1]),
             P("Recommendations", (7, 7), ["The partnership should audit how schools record concerns."],
               [], [0.3, 0.3, 0.3, 0.3]),
         ]),
    dict(review_id="northmoor-2021-child-m", title="Child M: rapid review", area=NORTHMOOR, nation="England",
         review_type="rapid review", year=2021, status="needs_ocr", passages=[]),
    dict(review_id="cwm-llwyd-2020-child-t", title="Child T: a child practice review", area=CWM_LLWYD,
         nation="Wales", review_type="CPR", year=2020, passages=[
             P("Findings", (4, 4), ["The threshold for care proceedings was not considered.",
                                    "The Public Law Outline was never started."],
               [("legal_powers", 0.85, 1)], [0, 0, 0.3, 0.8]),
             P("Findings", (5, 6), ["Professionals did not share information across the border between Wales "
                                    "and England.", "Records held in England were not requested."],
               [("information_sharing", 0.66, 0)], [0.95, 0.05, 0, 0]),
         ]),
    dict(review_id="cwm-llwyd-2022-child-w", title="Child W: a child practice review", area=CWM_LLWYD,
         nation="Wales", review_type="CPR", year=2022, passages=[
             P("Voice of the child", (2, 2), ["Child W's voice was heard through an independent advocate.",
                                              "The advocate recorded his wishes at every meeting."],
               [("voice_of_child", 0.70, 0)], [0.05, 0.95, 0, 0]),
             P("Planning", (3, 3), ["The multi-agency plan lacked clear outcomes.",
                                    "The core group rarely met and the plan drifted."],
               [("planning_support", 0.77, 0), ("multi_agency_working", 0.62, 1)], [0, 0.2, 0.9, 0]),
         ]),
    dict(review_id="westhaven-2022-child-r", title="Child R: a serious case review",
         area="Westhaven Safeguarding Children Partnership", nation="England", review_type="SCR", year=2022,
         status="failed", passages=[]),
]


def _passage(review_id: str, seq: int, spec: P) -> Passage:
    sentences, start = [], 0
    for n, text in enumerate(spec.sentences, start=1):
        sentences.append(Sentence(seq=n, text=text, char_start=start, char_end=start + len(text)))
        start += len(text) + 1
    return Passage(passage_id=f"{review_id}-p{seq}", review_id=review_id, seq=seq, text=" ".join(spec.sentences),
                   page_start=spec.pages[0], page_end=spec.pages[1], section=spec.section,
                   char_start=seq * 1000, char_end=seq * 1000 + start - 1, sentences=tuple(sentences),
                   footnote=spec.footnote)


def _result(spec: dict, line: int) -> ReviewResult:
    entry = ManifestEntry(review_id=spec["review_id"], title=spec["title"], area=spec["area"],
                          nation=spec["nation"], review_type=spec["review_type"], year=spec["year"],
                          published=datetime.date(spec["year"], 6, 1), source=f"reviews/{spec['review_id']}.pdf",
                          sha256=None, notes=None, line=line)
    status = spec.get("status", "ok")
    if status == "failed":
        return ReviewResult(entry=entry, status="failed", error="HTTP 404 Not Found: check the link")
    passages = [_passage(entry.review_id, seq, p) for seq, p in enumerate(spec["passages"], start=1)]
    tags = [
        ThemeTag(passage_id=passage.passage_id, theme=theme, score=score, model_version=THEME_MODEL,
                 evidence=(Evidence(sentence_seq=index + 1, text=p.sentences[index], score=score - 0.05),))
        for passage, p in zip(passages, spec["passages"], strict=True)
        for theme, score, index in p.tags
    ]
    last_page = max((p.page_end for p in passages), default=3)
    pages = [PageInfo(number=n, chars=0 if status == "needs_ocr" else 1800, needs_ocr=status == "needs_ocr")
             for n in range(1, last_page + 2)]
    embeddings = {passage.passage_id: p.vector for passage, p in zip(passages, spec["passages"], strict=True)}
    return ReviewResult(
        entry=entry, status=status, error="no page has a text layer: run OCR" if status == "needs_ocr" else None,
        sha256=f"{line:064x}", size_bytes=20000, content_kind="pdf",
        fetched_at=datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC), pages=pages, passages=passages,
        themes=tags, embeddings=embeddings or None, embedding_model=EMBEDDING_MODEL if embeddings else None,
    )


def build_corpus(path: Path, fts: bool = True, embeddings: bool = True) -> Path:
    """Write the fixture reviews into a new database at ``path`` (one finished run) and return the path."""
    store = Store(path)
    run_id = store.start_run(Path("corpus_manifest/test.csv"), MANIFEST_SHA)
    for line, spec in enumerate(REVIEWS, start=2):
        result = _result(spec, line)
        if not embeddings:
            result.embeddings, result.embedding_model = None, None
        store.write_review(run_id, result, seconds=0.5)
    if fts:  # the index and the search tables, as a run leaves them (a test that needs them stale makes them so)
        assert rebuild_search(store)
    store.finish_run(run_id)
    return path


def corpus_with(path: Path, passages: list) -> tuple[Path, Store]:
    """The test corpus plus one more review (northmoor-2023-child-e) holding ``passages``, indexed."""
    build_corpus(path)
    store = Store(path)
    run_id = store.start_run(Path("corpus_manifest/test.csv"), MANIFEST_SHA)
    extra = dict(REVIEWS[0], review_id="northmoor-2023-child-e", year=2023, passages=passages)
    store.write_review(run_id, _result(extra, line=9), seconds=0.1)
    store.rebuild_fts()
    store.finish_run(run_id)
    return path, store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("search") / "casereview.duckdb")


@pytest.fixture(scope="module")
def bare_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus without a search index and without embeddings (as after a run with --no-themes)."""
    return build_corpus(tmp_path_factory.mktemp("bare") / "casereview.duckdb", fts=False, embeddings=False)


def ids(hits) -> list[str]:
    return [hit.passage_id for hit in hits]


def count_in(path: Path, query: str | None, **filters) -> tuple[int, int]:
    """``Searcher.count`` on the database at ``path``: (passages, reviews) that match in all."""
    con = open_database(path)
    try:
        return Searcher(con).count(query, **filters)
    finally:
        con.close()


# --------------------------------------------------------------------------- ranking and filters


def test_the_passage_with_the_query_words_ranks_first(db: Path):
    hits = search(db, "information sharing")
    assert hits[0].passage_id == "northmoor-2019-child-d-p1"
    assert set(ids(hits)) == {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}
    assert all(hit.score_kind == "bm25" for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    first = hits[0]
    assert (first.title, first.area, first.year, first.page_start, first.page_end, first.section) == (
        "Child D: a child safeguarding practice review", NORTHMOOR, 2019, 3, 4, "Findings")


def test_stemming_finds_other_forms_of_a_word(db: Path):
    assert "northmoor-2019-child-d-p1" in ids(search(db, "shares"))


def test_words_that_carry_a_safeguarding_search_are_indexed(db: Path):
    # DuckDB's English stop list (571 words) left out "not", "seen", "alone", "never" and "said": "seen alone"
    # was refused as "only very common words" and "child not seen alone" matched on "child" alone
    assert ids(search(db, "seen alone")) == ["northmoor-2019-child-d-p2"]
    assert ids(search(db, "child not seen alone"))[0] == "northmoor-2019-child-d-p2"
    assert ids(search(db, '"not seen alone"')) == ["northmoor-2019-child-d-p2"]
    assert ids(search(db, "never recorded"))[0] == "northmoor-2019-child-d-p2"
    assert "northmoor-2021-family-k-p2" in ids(search(db, "known to police"))


def test_a_phrase_in_curly_single_quotes_is_a_phrase(db: Path):
    # British writing quotes with single marks, and Word curls them: ‘not seen alone’ was searched word by word
    assert ids(search(db, "\u2018not seen alone\u2019")) == ids(search(db, '"not seen alone"')) != []
    assert search_with_forms(db, "\u2018not seen alone\u2019").total == search_with_forms(db, '"not seen alone"').total


def test_a_name_and_its_letter_are_not_searched_as_one_word(db: Path):
    # "Child E" was also searched as "childe", which the index holds as "child": said, though it found nothing more
    assert search_with_forms(db, "Child E").also == ()


def test_numbers_and_ampersands_are_part_of_what_is_searched(tmp_path: Path):
    # the index used to split at digits and "&": "section 47" found the same passages as "section 20", and
    # "A&E" matched "Child E"
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["No section 47 enquiry was held after the A&E attendance."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["Child E was accommodated under section 20 with his mother's agreement."],
          vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["The s47 strategy discussion was not recorded."], vector=[0, 0, 1, 0]),
    ])
    assert ids(search(path, "section 47"))[0] == "northmoor-2023-child-e-p1"
    assert ids(search(path, "section 20"))[0] == "northmoor-2023-child-e-p2"
    assert ids(search(path, "A&E")) == ["northmoor-2023-child-e-p1"]
    hit = search(path, "section 47")[0]
    assert [hit.snippet_text[a:b] for a, b in hit.highlights] == ["section 47"]
    assert ids(search(path, "2023")) == []  # numbers in the text are searched, not the review's year
    # a statutory section is found however the review and the searcher write it
    # ... and only a passage naming the section counts: "section 20" holds "section" but is not section 47,
    # quoted or not
    forty_seven = {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p3"}
    for query in ("s47", "section 47", "s.47", "S 47", '"s47"', '"section 47"', '"s. 47"'):
        assert set(ids(search(path, query))) == forty_seven, query
    assert ids(search(path, "s20")) == ["northmoor-2023-child-e-p2"]
    assert count_in(path, "s47") == (2, 1)
    # beside other words, the section is still required: the words only rank
    assert set(ids(search(path, "s47 accommodated"))) == forty_seven
    # ... and a heading naming it counts, as the heading's words do
    path2, _ = corpus_with(tmp_path / "headed.duckdb", [
        P("Section 47 enquiries", (2, 2), ["The enquiry was closed within a week."], vector=[1, 0, 0, 0])])
    assert ids(search(path2, "s47 enquiry")) == ["northmoor-2023-child-e-p1"]
    assert count_in(path2, "s47 enquiry") == (1, 1)
    result = CliRunner().invoke(search_command, ["s47", "--db", str(path)])
    assert result.exit_code == 0 and 'for "s47" (also searched as "section 47")' in result.output
    common = search(path, "the s47 discussion")[0]  # a common word in the query is not marked in the snippet
    assert [common.snippet_text[a:b].lower() for a, b in common.highlights] == ["s47", "discussion"]


def test_a_list_of_sections_names_each_of_them(tmp_path: Path):
    # "sections 17 and 47" names section 47 as well as section 17, in a passage and in a search
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["Help under sections 17 and 47 of the Act was considered."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The s47 enquiry found no further concerns."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["Support under ss.17, 20(1) or 47 was not offered."], vector=[0, 0, 1, 0]),
        P("Findings", (5, 5), ["Section 17 and 47 hours later, the family moved."], vector=[0, 0, 0, 1]),
    ])
    assert set(ids(search(path, "s47"))) == {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2",
                                             "northmoor-2023-child-e-p3"}
    listed = search(path, "s47")
    first = next(hit for hit in listed if hit.passage_id.endswith("p1"))
    assert [first.snippet_text[a:b] for a, b in first.highlights] == ["sections 17 and 47"]
    # every section of a list in the search must be named, as "s17 s47" asks
    assert set(ids(search(path, "sections 17 and 47"))) == {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p3"}
    assert set(ids(search(path, "s.17 & s47"))) == {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p3"}
    assert count_in(path, "sections 17, 20 and 47") == (1, 1)
    # after one section, "and" starts no list: "section 47 and 2 strategy meetings" asks for section 47 only
    assert parse_query("section 47 and 2 strategy meetings").sections == ("47",)
    result = CliRunner().invoke(search_command, ["sections 20 and 48", "--db", str(path)])
    assert "must name section 20 and section 48: put OR between them to find either" in result.output


def test_sections_joined_by_or_find_passages_naming_either(tmp_path: Path):
    # "section 17 or 47" asks for either section, however each is written, in the search and in the passages
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["Help under section 17 was offered to the family."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The s47 enquiry found no further concerns."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["Child E was accommodated under section 20."], vector=[0, 0, 1, 0]),
        P("Findings", (5, 5), ["Neither section 20 or 47 was considered by the team."], vector=[0, 0, 0, 1]),
    ])
    both = {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2", "northmoor-2023-child-e-p4"}
    for query in ("section 17 or 47", "s17 or s47", "s.17 or section 47", '"section 17" or "s47"'):
        assert parse_query(query).sections == ("17|47",), query
        assert set(ids(search(path, query))) == both, query
    # a passage naming "section 20 or 47" names section 47
    assert set(ids(search(path, "s47"))) == {"northmoor-2023-child-e-p2", "northmoor-2023-child-e-p4"}
    # after a bare "s" (an apostrophe's), "or" continues nothing: "it's 3 or 4 times" names no section 4
    assert not re.search(parse_query("s4").required[0], "it's 3 or 4 times a week", re.IGNORECASE)
    assert set(ids(search(path, "sections 17, 20 or 47"))) == {
        "northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2", "northmoor-2023-child-e-p3",
        "northmoor-2023-child-e-p4"}
    # "and" still asks for both, and either may sit beside another section that is required
    assert ids(search(path, "sections 20 and 47")) == ["northmoor-2023-child-e-p4"]
    assert set(ids(search(path, "s20 (s17 or s47)"))) == {"northmoor-2023-child-e-p4"}
    assert parse_query("s20 (s17 or s47)").sections == ("20", "17|47")
    hit = next(h for h in search(path, "section 17 or 47") if h.passage_id.endswith("p2"))
    assert [hit.snippet_text[a:b] for a, b in hit.highlights] == ["s47"]
    result = CliRunner().invoke(search_command, ["s20 drift (s17 or s48)", "--db", str(path)])
    assert "must name section 20 and section 17 or 48: put OR between them to find either" in result.output
    assert how_they_match("section 17 or 47 drift") == (
        " (each holds section 17 or 47; the other words only put those holding them first)")
    # a bare number after "or" shorter than the section before it counts something else
    assert set(ids(search(path, "section 47 or 2 strategy meetings"))) == {"northmoor-2023-child-e-p2",
                                                                        "northmoor-2023-child-e-p4"}
    assert parse_query("section 20 or 8 visits").sections == ("20",)
    assert parse_query("s20 or s8").sections == ("20|8",)


def test_words_no_passage_uses_are_named_with_spellings_the_reviews_use(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["Safeguarding partners did not see the neglect at home."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["A section 47 enquiry and a chronology of child care were missing."],
          vector=[0, 1, 0, 0]),
    ])
    result = search_with_forms(path, "safegaurding neglect")
    assert ids(result.hits) == ["northmoor-2023-child-e-p1"]  # found by the other word
    assert [(m.word, m.suggestions) for m in result.missing] == [("safegaurding", ("safeguarding",))]
    # found in another form, a common word, or spelt right: not missing
    for query in ("childcare", "s47", "the chronology", "chronologies"):
        assert search_with_forms(path, query).missing == (), query
    assert [(m.word, m.suggestions) for m in search_with_forms(path, "xyzzy chronolgy").missing] == [
        ("xyzzy", ()), ("chronolgy", ("chronology",))]
    # a part of a hyphenated word whose other part is found is not "missing" ("co" of "co-chronology");
    # a hyphenated word none of whose parts is found is
    assert search_with_forms(path, "co-chronology").missing == ()
    assert [m.word for m in search_with_forms(path, "zq-xyzzy").missing] == ["zq", "xyzzy"]
    assert [m.word for m in search_with_forms(path, "the-xyzzy").missing] == ["xyzzy"]  # a common word finds nothing
    runner = CliRunner()
    result = runner.invoke(search_command, ["safegaurding neglect", "--db", str(path)])
    assert result.exit_code == 0
    assert result.output.startswith('No passage in the database uses this word, in any form: "safegaurding" '
                                    '(did you mean "safeguarding"?).')
    assert '1 passage for "safegaurding neglect"' in result.output
    result = runner.invoke(search_command, ["xyzzy chronolgy", "--json", "--db", str(path)])
    assert result.exit_code == 0 and result.stdout == ""  # JSON lines only on stdout; the note on stderr
    assert result.stderr.strip() == ('No passage in the database uses these words, in any form: "xyzzy", '
                                     '"chronolgy" (did you mean "chronology"?).')


def test_passages_found_only_by_a_number_of_the_search_are_said_to_be_so(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["1.3 The school nurse saw the neglect at home."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["A section 47 enquiry was not held."], vector=[0, 1, 0, 0]),
    ])
    # the words are found nowhere and only the number matches: the passages hold a paragraph number, not the subject
    result = search_with_forms(path, "<script>alert(1)</script>")
    assert ids(result.hits) == ["northmoor-2023-child-e-p1"] and result.numbers_only == ("1",)
    output = CliRunner().invoke(search_command, ["<script>alert(1)</script>", "--db", str(path)]).output
    assert 'The passages found hold only the number "1" of the search' in output
    # a word found beside the number, another form searched with it, or no word missing: no such note
    for query in ("nurse 1 xyzzy", "s47 xyzzy", "1", "section 47"):
        assert search_with_forms(path, query).numbers_only == (), query
    assert search_with_forms(path, "xyzzy 1 3").numbers_only == ("1", "3")


def test_a_word_with_a_hyphen_found_by_its_parts_offers_itself_in_quotes(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["Post-reunification support was not offered."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The post was vacant for a year."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["Reunification was planned at the review."], vector=[0, 0, 1, 0]),
    ])
    # any passage holding "post" or "reunification" is found; the same word in quotes finds the one holding it
    result = search_with_forms(path, "post-reunification")
    assert result.total == 3 and result.as_phrase == ('"post-reunification"', 1)
    output = " ".join(CliRunner().invoke(search_command, ["post-reunification", "--db", str(path)]).output.split())
    assert ('A word with a hyphen is searched as its parts, any one of which will do; in double quotes, '
            '"post-reunification" finds the 1 passage holding it whole: casereview search '
            "'\"post-reunification\"'") in output
    # quoted already, or no fewer found in quotes: no such hint
    assert search_with_forms(path, '"post-reunification" support').as_phrase is None
    assert search_with_forms(path, "reunification").as_phrase is None


def test_a_word_with_a_hyphen_no_passage_holds_whole_says_the_passages_found_hold_only_its_parts(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["Safe sleeping advice was given at the birth visit."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The visit found the home safe and warm."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["The parents were told of the risks of co-sleeping."], vector=[0, 0, 1, 0]),
    ])
    # "home-birth" is in no passage, as a word with a hyphen, two words or one: its parts found other things,
    # without a word said (every part is used somewhere, so no word was "found nowhere")
    result = search_with_forms(path, "home-birth")
    assert result.total == 2 and result.not_whole == ("home-birth",) and not result.missing
    note = 'no passage holds "home-birth" whole (with its hyphen or a space): the passages found hold only parts'
    output = " ".join(CliRunner().invoke(search_command, ["home-birth", "--db", str(path)]).output.split())
    assert note in output and "in double quotes" not in output
    out = tmp_path / "found.md"
    assert CliRunner().invoke(search_command, ["home-birth", "--out", str(out), "--db", str(path)]).exit_code == 0
    assert note.capitalize() in " ".join(out.read_text(encoding="utf-8").split())
    # the word is counted on its own: a passage holding it, left out by the rest of the search, still holds it
    assert search_with_forms(path, "co-sleeping -parents").not_whole == ()
    # a set of searches, whose counts go into briefings, says so beside the count, and how many hold the word
    # whole where some do
    searches = tmp_path / "searches.txt"
    searches.write_text("Home birth: home-birth\nSafe sleeping: safe-sleeping\n", encoding="utf-8")
    listed = " ".join(CliRunner().invoke(searches_command, [str(searches), "--db", str(path)]).output.split())
    assert note in listed
    assert '"safe-sleeping" finds the 1 passage holding it whole (write it so to count only those)' in listed


def test_a_long_form_the_reviews_define_also_searches_its_abbreviation(tmp_path: Path):
    path, store = corpus_with(tmp_path / "db.duckdb", [
        P("Background", (2, 2), ["In 2013 the mother was referred to the multi-agency risk assessment conference "
                                 "(MARAC) after an assault."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The MARAC did not hear about the new baby."], vector=[0, 1, 0, 0]),
    ])
    query = "multi-agency risk assessment conference"
    found = ids(search(path, query))
    # the second passage has none of the query's words, only the abbreviation the review defined
    assert found[0] == "northmoor-2023-child-e-p1" and "northmoor-2023-child-e-p2" in found
    result = CliRunner().invoke(search_command, [query, "--db", str(path)])
    assert result.exit_code == 0 and f'for "{query}" (also searched as "MARAC")' in result.output
    # only a whole long form brings in its abbreviation, and an abbreviation does not bring in its long form
    assert "northmoor-2023-child-e-p2" not in ids(search(path, "risk assessment"))
    assert set(ids(search(path, "MARAC"))) == {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2"}
    # search tables from a version that did not collect abbreviations are rebuilt by the next search
    with store.connect() as con:
        con.execute("DROP TABLE search_index.abbreviations")
        assert not search_tables_fresh(con)
    assert "northmoor-2023-child-e-p2" in ids(search(path, query))
    with store.connect(read_only=True) as con:
        assert search_tables_fresh(con)
        assert con.execute("SELECT short, long, reviews FROM search_index.abbreviations").fetchall() == [
            ("MARAC", "multi-agency risk assessment conference", 1)]


def hits_and_forms(path: Path, query: str) -> tuple[list, tuple[str, ...]]:
    result = search_with_forms(path, query)
    return result.hits, result.also


def test_a_compound_is_found_however_the_reviews_join_it(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["The midwife gave advice about co-sleeping after the birth."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["No one asked about cosleeping when the baby was unwell."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["The boy's well-being was discussed at school."], vector=[0, 0, 1, 0]),
        P("Findings", (5, 5), ["He did well in his exams and his sister was being bullied."], vector=[0, 0, 0, 1]),
    ])
    both = {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2"}
    for query, other in (("cosleeping", "co-sleeping"), ("co-sleeping", "cosleeping"), ("co sleeping", "cosleeping")):
        hits, also = hits_and_forms(path, query)
        assert set(ids(hits)) == both and also == (other,), (query, ids(hits), also)
        con = open_database(path)
        try:
            for fast in (True, False):  # the search tables and DuckDB's match_bm25 agree
                assert set(ids(Searcher(con).search(query, use_search_tables=fast))) == both
        finally:
            con.close()
    result = CliRunner().invoke(search_command, ["cosleeping", "--db", str(path)])
    assert result.exit_code == 0 and 'for "cosleeping" (also searched as "co-sleeping")' in result.output
    # a compound with a common word in it is not searched by its other word: "well" alone is not "wellbeing"
    hits, also = hits_and_forms(path, "wellbeing")
    assert ids(hits) == [] and also == ()
    # only words typed next to each other are joined: an added form ("section" for "s47") is not
    assert hits_and_forms(path, "co 47 sleeping")[1] == ()



def test_a_word_the_reviews_write_as_two_words_is_found_when_typed_as_one(tmp_path: Path):
    path, store = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["The family had no child care when the mother worked nights."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["Her health care needs were met by the practice nurse."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["Nobody checked on his healthcare after the move."], vector=[0, 0, 1, 0]),
        P("Findings", (5, 5), ["The plan was made. A home visit was agreed for the child. Care was taken over "
                               "it, and the care fully met his needs."], vector=[0, 0, 0, 1]),
        *(P("Analysis", (6 + i, 6 + i), [f"Meeting {i + 1} was carefully minuted."], vector=[0, 0, 1, 1])
          for i in range(6)),
    ])
    hits, also = hits_and_forms(path, "childcare")  # no review writes "childcare"
    assert ids(hits)[0] == "northmoor-2023-child-e-p1" and also == ("child care",)
    result = CliRunner().invoke(search_command, ["childcare", "--db", str(path)])
    assert result.exit_code == 0 and 'for "childcare" (also searched as "child care")' in result.output
    # written solid in one passage and apart in another: both come first
    hits, also = hits_and_forms(path, "healthcare")
    assert set(ids(hits)[:2]) == {"northmoor-2023-child-e-p2", "northmoor-2023-child-e-p3"}
    assert also == ("health care",)
    # "care fully" by chance, in reviews that write "carefully" six times as often, is no compound
    assert hits_and_forms(path, "carefully")[1] == ()
    with store.connect(read_only=True) as con:
        rows = con.execute("SELECT * FROM search_index.open_compounds ORDER BY joined").fetchall()
    # "child. Care" runs across a full stop, so it does not count
    assert rows == [("carefully", "care fully", 1, 6), ("childcare", "child care", 1, 0),
                    ("healthcare", "health care", 1, 1)]
    # search tables from a version without open compounds are rebuilt by the next search
    with store.connect() as con:
        con.execute("DROP TABLE search_index.open_compounds")
        assert not search_tables_fresh(con)
    assert hits_and_forms(path, "childcare")[1] == ("child care",)
    # a review changed since the last build is counted again (the others' counts are kept)
    with store.connect() as con:
        con.execute("UPDATE passages SET text = replace(text, 'child care', 'childcare') "
                    "WHERE passage_id = 'northmoor-2023-child-e-p1'")
        build_search_tables(con)
        assert con.execute("SELECT joined, solid_passages FROM search_index.open_compounds ORDER BY 1").fetchall(
            ) == [("carefully", 6), ("healthcare", 1)]
    assert hits_and_forms(path, "childcare")[1] == ()

def test_the_index_leaves_out_only_the_projects_short_list_of_common_words(db: Path):
    assert len(set(SEARCH_STOPWORDS)) == len(SEARCH_STOPWORDS)
    for word in ("not", "no", "never", "nor", "without", "nobody", "nothing", "seen", "alone", "said", "told",
                 "known", "help", "against", "before", "after", "may"):
        assert word not in SEARCH_STOPWORDS
    with duckdb.connect(str(db), read_only=True) as con:
        assert sorted(r[0] for r in con.execute("SELECT sw FROM fts_main_passages.stopwords").fetchall()) == sorted(
            SEARCH_STOPWORDS)


def test_an_index_from_an_older_version_is_rebuilt_by_the_first_search_unless_a_run_is_writing(tmp_path: Path):
    path = build_corpus(tmp_path / "db.duckdb")
    store = Store(path)
    with store.connect() as con:  # the index as casereview built it before: DuckDB's English stop list
        con.execute("PRAGMA create_fts_index('passages', 'passage_id', 'text', 'section', stemmer = 'porter', "
                    "stopwords = 'english', overwrite = 1)")
        assert index_outdated(con)
    run_id = store.start_run(Path("corpus_manifest/test.csv"), MANIFEST_SHA)
    with pytest.raises(CaseReviewError, match="only very common words"):  # a run is writing: left as it is
        search(path, "seen alone")
    with store.connect(read_only=True) as con:
        assert index_outdated(con)
    store.finish_run(run_id)
    assert ids(search(path, "seen alone")) == ["northmoor-2019-child-d-p2"]
    with store.connect(read_only=True) as con:
        assert not index_outdated(con)
        assert search_tables_fresh(con)


@pytest.mark.parametrize(("filters", "expected"), [
    (dict(nation="wales"), {"cwm-llwyd-2020-child-t-p2"}),
    (dict(nation="ENGLAND"), {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1"}),
    (dict(area="northmoor"), {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1"}),
    (dict(area="LLWYD"), {"cwm-llwyd-2020-child-t-p2"}),
    (dict(review_type="cpr"), {"cwm-llwyd-2020-child-t-p2"}),
    (dict(year_from=2020), {"northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}),
    (dict(year_to=2020), {"northmoor-2019-child-d-p1", "cwm-llwyd-2020-child-t-p2"}),
    (dict(year_from=2020, year_to=2020), {"cwm-llwyd-2020-child-t-p2"}),
    (dict(theme="parental_factors"), {"northmoor-2021-family-k-p1"}),
    (dict(theme="Information sharing", min_score=0.7), {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1"}),
    (dict(min_score=0.9), {"northmoor-2019-child-d-p1"}),
    (dict(year_from=2023), set()),
    # one review: by its id (any case), or by words of its title that no other title has
    (dict(review="cwm-llwyd-2020-child-t"), {"cwm-llwyd-2020-child-t-p2"}),
    (dict(review=" NORTHMOOR-2019-Child-D "), {"northmoor-2019-child-d-p1"}),
    (dict(review="family k"), {"northmoor-2021-family-k-p1"}),
    (dict(review="Child T", nation="England"), set()),
])
def test_every_filter_narrows_the_results(db: Path, filters: dict, expected: set[str]):
    assert set(ids(search(db, "information", **filters))) == expected


@pytest.mark.parametrize(("review", "message"), [
    # words in several titles: the reviews are listed with their ids, to choose one
    ("a child practice review", "is in the titles of 2 reviews: give the id of the one you mean: "
                                "cwm-llwyd-2020-child-t (Child T: a child practice review); cwm-llwyd-2022-child-w"),
    # a mistyped id: the ids like it
    ("northmoor-2019-child", "no review has the id 'northmoor-2019-child', and no review's title contains it. "
                             "Closest review ids: northmoor-2019-child-d"),
    # words of a title are whole words: "Child" is not "Chil", "Child D" is not "Child Day"
    ("Chil", "no review has the id 'Chil', and no review's title contains it."),
])
def test_a_review_the_filter_cannot_tell_apart_is_explained(db: Path, review: str, message: str):
    with pytest.raises(CaseReviewError) as error:
        search(db, "information", review=review)
    assert message in str(error.value)
    # where to see every review's id, unless the reviews meant are listed with theirs
    listed = f"Each review's id is shown in `casereview reviews --db {db}`, or the list \"The reviews\""
    assert (listed in str(error.value)) == ("titles of" not in message)


def test_limit_caps_the_number_of_hits(db: Path):
    assert len(search(db, "information", limit=2)) == 2


def test_the_results_say_when_more_passages_match_than_the_limit_shows(db: Path):
    every = len(search(db, "information"))
    assert every > 2
    assert search_with_forms(db, "information", limit=2).more
    assert not search_with_forms(db, "information", limit=every).more
    reviews = len({hit.review_id for hit in search(db, "information")})
    capped = CliRunner().invoke(search_command, ["information", "--limit", "2", "--db", str(db)])
    assert capped.exit_code == 0 and capped.output.startswith(f'2 of {every} passages for "information", best first')
    assert (f"In all, {every} passages in {reviews} reviews match. --limit {every} shows them all (add --out "
            "FILE.xlsx to save them as a table).") in capped.output
    whole = CliRunner().invoke(search_command, ["information", "--limit", str(every), "--db", str(db)])
    assert whole.exit_code == 0 and "In all" not in whole.output
    assert whole.output.startswith(f'{every} passages for "information", best first')
    # with --json the count goes to the error stream, so the output stays JSON lines
    as_json = CliRunner().invoke(search_command, ["information", "--limit", "2", "--json", "--db", str(db)])
    assert f"In all, {every} passages in {reviews} reviews match." in as_json.stderr
    assert all(json.loads(line) for line in as_json.stdout.splitlines())
    # a theme given with words is named in the headline
    themed = CliRunner().invoke(search_command, ["information", "--theme", "information_sharing", "--db", str(db)])
    assert ', tagged Information sharing, best first' in themed.output.splitlines()[0]
    # two phrases must both appear, unless OR joins them; the note says so
    both = CliRunner().invoke(search_command, ['"share information" "information sharing"', "--db", str(db)])
    assert "must hold \"share information\" and \"information sharing\": put OR between them" in both.output
    either = CliRunner().invoke(search_command, ['"share information" OR "information sharing"', "--db", str(db)])
    assert ('Note: each passage found holds "share information" or "information sharing"; phrases as written.'
            in either.output)
    assert "3 passages for" in either.output and "OR is not needed" not in either.output
    # OR between words only changes nothing, and is said to be not needed; a phrase beside it still must appear
    noted = CliRunner().invoke(search_command, ['"share information" police OR school', "--db", str(db)])
    assert "unless OR joins it to another" in " ".join(noted.output.split())
    # several words: the count is of passages with any of them, and the note says so
    several = CliRunner().invoke(search_command, ["information school", "--limit", "1", "--db", str(db)])
    assert ("match (a passage needs only one of the words: put AND between them to need every one, or double "
            "quotes") in " ".join(several.output.split())
    # the theme is named as the taxonomy names it, however it was typed
    typed = CliRunner().invoke(search_command, ["--theme", "information SHARING", "--db", str(db)])
    assert typed.output.startswith("3 passages for the theme Information sharing, best first")


def test_words_that_name_a_theme_offer_the_theme_with_its_command(db: Path):
    # "voice of the child" finds any passage with "voice" or "child": the theme is likelier what was meant
    result = search_with_forms(db, "voice of the child", nation="Wales")
    assert result.hits and result.like_theme == ("voice_of_child", 1)
    shown = CliRunner().invoke(search_command, ["voice of the child", "--nation", "Wales", "--db", str(db)])
    assert shown.exit_code == 0
    assert (f"Looking for the learning theme Voice of the child? It tags 1 passage: casereview search --theme "
            f"voice_of_child --nation Wales --db {db}") in shown.output
    as_json = CliRunner().invoke(search_command, ["voice of the child", "--json", "--db", str(db)])
    assert "Looking for the learning theme Voice of the child? It tags 2 passages" in as_json.stderr
    assert all(json.loads(line) for line in as_json.stdout.splitlines())
    themed = CliRunner().invoke(search_command, ["voice of the child", "--theme", "Voice of the child", "--db",
                                                 str(db)])
    assert "Looking for" not in themed.output  # the theme is already asked for
    assert search_with_forms(db, "school").like_theme is None
    # words that found what they ask for are no misreading: a one-word theme's name ("risk assessment" finds
    # passages about risk assessment), or a phrase in quotes
    assessed = search_with_forms(db, "risk assessment")
    assert assessed.hits and assessed.like_theme is None
    quoted = search_with_forms(db, '"voice of the child"')  # a heading of one review says it as written
    assert quoted.hits and quoted.like_theme is None


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(("query", "filters"), [
    ("information", {}),
    ("school police", {"year_from": 2020}),
    ('"share information"', {}),
    ('"information sharing" school', {}),
    ("s47", {}),
    ("school", {"section": "recommend"}),
    ("information", {"theme": "information_sharing", "min_score": 0.5}),
    (None, {"theme": "information_sharing"}),
    (None, {"theme": "voice_of_child", "area": "Northmoor"}),
    ("information -police", {}),
    ('information school NOT "share information" -s47', {"year_from": 2019}),
    ("-police", {"theme": "parental_factors"}),
    ("information AND sharing school", {}),
    ('(police OR "information sharing") AND (school OR schools OR shared)', {}),
    ('"share information" OR "information sharing" OR s47', {"nation": "England"}),
    ("(information OR police) school", {"review": "northmoor-2021-family-k"}),
    ("information school police", {"review": "northmoor-2021-family-k"}),
    (None, {"theme": "information_sharing", "review": "Child D"}),
])
def test_the_count_of_all_matches_is_what_an_unlimited_search_finds(db: Path, query, filters, fast: bool):
    con = open_database(db)
    try:
        searcher = Searcher(con)
        every = searcher.search(query, limit=1000, use_search_tables=fast if query else None, **filters)
        searcher._fresh = fast  # count by the same way of ranking
        assert searcher.count(query, **filters) == (len(every), len({hit.review_id for hit in every}))
        # review by review: the same passages, counted in each review, the most first
        in_each = Counter(hit.review_id for hit in every)
        assert searcher.count_by_review(query, **filters) == sorted(in_each.items(), key=lambda row: (-row[1], row[0]))
    finally:
        con.close()
    result = search_with_forms(db, query, limit=1, **filters)
    assert (result.total, result.total_reviews) == (len(every), len({hit.review_id for hit in every}))
    assert result.more == (len(every) > 1)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(("query", "filters"), [
    ("information school police", {}),
    ('"share information"', {}),
    (None, {"theme": "voice_of_child"}),
])
def test_a_later_page_of_results_is_that_slice_of_one_long_list(db: Path, query, filters, fast: bool):
    con = open_database(db)
    try:
        searcher = Searcher(con)
        way = {"use_search_tables": fast} if query else {}
        every = ids(searcher.search(query, limit=100, **way, **filters))
        for offset in range(0, len(every) + 2):
            assert ids(searcher.search(query, limit=2, offset=offset, **way, **filters)) == every[offset:offset + 2]
        with pytest.raises(CaseReviewError, match="must start between 1 and 10001"):
            searcher.search(query, limit=2, offset=-1, **way, **filters)
    finally:
        con.close()
    result = search_with_forms(db, query, limit=1, offset=1, **filters)
    assert ids(result.hits) == every[1:2] and result.total == len(every)


def test_passages_with_equal_scores_keep_one_order_at_every_limit_and_page(tmp_path: Path):
    # twelve passages scoring the same for "kinship" (same counts, same length); ids p1..p12 sort p1, p10, p11,
    # p12, p2, ..., unlike the order they were written in, so a tie broken by write order would show
    letters = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Kinship care", (1, 1), [f"The kinship carer was visited in week {letter}."], vector=[0.5, 0.5, 0, 0])
        for letter in letters])
    with duckdb.connect(str(path)) as writer:
        build_search_tables(writer)
    con = open_database(path)
    try:
        searcher = Searcher(con)
        for fast in (True, False):
            every = searcher.search("kinship", limit=100, use_search_tables=fast)
            assert len(every) == 12 and len({hit.score for hit in every}) == 1
            assert ids(every) == sorted(ids(every))  # equal scores: passage id order
            for limit in range(1, 13):
                assert ids(searcher.search("kinship", limit=limit, use_search_tables=fast)) == ids(every)[:limit]
            paged = [hit for offset in range(0, 12, 5)
                     for hit in searcher.search("kinship", limit=5, offset=offset, use_search_tables=fast)]
            assert ids(paged) == ids(every)
            # several words: each score is a sum, which may come out a bit apart in its last bits from one query
            # to the next; ties must hold all the same
            several = searcher.search("kinship carer visited", limit=100, use_search_tables=fast)
            assert len(several) == 12 and len({hit.score for hit in several}) == 1
            for limit in range(1, 13):
                assert ids(searcher.search("kinship carer visited", limit=limit, use_search_tables=fast)) == \
                    ids(several)[:limit]
    finally:
        con.close()


def test_a_quoted_phrase_must_appear_as_written(db: Path):
    assert set(ids(search(db, '"share information"'))) == {"northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}
    assert ids(search(db, '"information sharing"')) == ["northmoor-2019-child-d-p1"]
    # curly quotes, as Word, Outlook and Macs put them in, quote a phrase too
    assert ids(search(db, "\u201cinformation sharing\u201d")) == ["northmoor-2019-child-d-p1"]
    result = CliRunner().invoke(search_command, ["\u201cinformation sharing\u201d", "--db", str(db)])
    assert result.exit_code == 0 and result.output.startswith('1 passage for "information sharing", best first')
    result = CliRunner().invoke(search_command, ['"information sharing" school', "--db", str(db)])
    assert result.exit_code == 0 and " for '\"information sharing\" school', best first" in result.output


def test_a_theme_alone_lists_its_strongest_evidence_first(db: Path):
    hits = search(db, None, theme="information_sharing")
    assert ids(hits) == ["northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"]
    assert [h.score for h in hits] == [0.92, 0.74, 0.66]
    assert all(h.score_kind == "theme_probability" for h in hits)
    assert hits[0].evidence == "Information sharing between the school and children's social care was poor."
    assert hits[0].snippet == hits[0].evidence


def test_min_score_and_filters_apply_to_a_theme_listing(db: Path):
    assert ids(search(db, "", theme="voice_of_child", min_score=0.8)) == ["northmoor-2019-child-d-p2"]
    assert ids(search(db, None, theme="voice_of_child", nation="Wales")) == ["cwm-llwyd-2022-child-w-p1"]
    assert search(db, None, theme="voice_of_child", min_score=0.95) == []


def test_each_hit_carries_its_themes_as_probabilities_and_the_model(db: Path):
    hit = search(db, "information sharing")[0]
    assert hit.themes == {"information_sharing": 0.92, "multi_agency_working": 0.55}
    assert hit.theme_model == THEME_MODEL
    untagged = search(db, "audit schools")[0]
    assert untagged.passage_id == "northmoor-2021-family-k-p3" and untagged.themes == {}


# --------------------------------------------------------------------------- snippets


def test_snippets_mark_the_matched_words(db: Path):
    hit = search(db, "information sharing")[0]
    assert "**Information** **sharing**" in hit.snippet
    assert "**shared**" in hit.snippet  # same stem as 'sharing'
    assert "<mark>Information</mark>" in hit.snippet_html
    assert "children&#x27;s" in hit.snippet_html


def test_words_found_in_a_passages_heading_are_marked_there(tmp_path: Path):
    # the heading is searched with the passage: a passage found by its heading alone shows why
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Kinship placements", (2, 2), ["The grandparents took the children in within a week."], vector=[1, 0, 0, 0]),
    ])
    (hit,) = [hit for hit in search(path, "kinship", limit=50) if hit.review_id == "northmoor-2023-child-e"]
    assert hit.highlights == [] and hit.render_section("**", "**") == "**Kinship** placements"
    assert hit.to_dict()["section_highlights"] == [[0, 7]]
    printed = CliRunner().invoke(search_command, ["kinship", "--db", str(path)])
    assert "section: **Kinship** placements" in printed.output
    from pipeline.web import Pages

    page = Pages(path).answer("/?q=kinship").body.decode("utf-8")
    assert "section: <mark>Kinship</mark> placements" in page


def test_a_long_passage_is_cut_around_the_matches():
    text = ("Background words that say little. " * 20) + "The strategy meeting was never held. " + ("Filler. " * 40)
    start = text.index("strategy")
    snippet, spans = make_snippet(text, [(start, start + len("strategy"))], width=120)
    assert len(snippet) <= 130 and snippet.startswith("… ") and snippet.endswith(" …")
    (a, b), = spans
    assert snippet[a:b] == "strategy"


# --------------------------------------------------------------------------- errors and safety


@pytest.mark.parametrize("attack", [
    "'; DROP TABLE passages; --",
    "information'); DROP TABLE reviews; --",
    "\" OR 1=1 --\"",
    "information sharing' OR '1'='1",
])
def test_injection_attempts_are_treated_as_text(db: Path, attack: str):
    try:  # searched for as words, or refused with a clear message: never run as SQL
        assert all(hit.score_kind == "bm25" for hit in search(db, attack))
    except CaseReviewError as error:
        assert "common words" in str(error)
    with pytest.raises(CaseReviewError):
        search(db, "information", nation=attack)
    with pytest.raises(CaseReviewError):
        search(db, "information", area=attack)
    with pytest.raises(CaseReviewError):
        search(db, None, theme=attack)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM passages").fetchone()[0] == 10
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 6


@pytest.mark.parametrize(("query", "message"), [
    ("", "nothing to search for"),
    ("   ", "nothing to search for"),
    (None, "nothing to search for"),
    ("?!... ;;", "no words or numbers the index can look for"),
    ("– “” ’", "no words or numbers the index can look for"),
    ('"information sharing', "without a closing one"),
    ("the and of", "only very common words"),
    ("-police", "only leaves passages out: give words to look for as well"),
    ("police -police", "both looks for and leaves out police"),
    ('information -the NOT "of the"', "the search index does not hold very common words"),
    ("information AND the", "joins the with AND, but the search index does not hold very common words"),
    ("information AND police OR school", "joins words with both AND and OR"),
])
def test_malformed_queries_give_a_clear_error(db: Path, query, message: str):
    with pytest.raises(CaseReviewError, match=message):
        search(db, query)


def test_an_unknown_theme_lists_the_valid_ids(db: Path):
    with pytest.raises(CaseReviewError) as error:
        search(db, "information", theme="voice_of_the_chld")
    text = str(error.value)
    assert "unknown theme 'voice_of_the_chld'" in text
    for theme_id in ("assessment", "voice_of_child", "information_sharing", "legal_powers"):
        assert theme_id in text


@pytest.mark.parametrize(("filters", "message"), [
    (dict(nation="Narnia"), "no review has nation 'Narnia'"),
    (dict(review_type="inquest"), "no review has review type 'inquest'"),
    (dict(area="Northmor"), "Closest area names: Northmoor Safeguarding Children Partnership"),
    (dict(area="zzzz"), "no review's area contains 'zzzz'. The areas in the database are: Cwm Llwyd Regional "
                        "Safeguarding Board; Northmoor Safeguarding Children Partnership; Westhaven"),
    (dict(min_score=80), "not a probability"),
    (dict(year_from=2022, year_to=2019), "after --year-to"),
    (dict(limit=0), "--limit"),
])
def test_bad_filters_give_a_clear_error(db: Path, filters: dict, message: str):
    with pytest.raises(CaseReviewError, match=message):
        search(db, "information", **filters)


def copy_with_a_run_going(source: Path, copy: Path, *statements: str) -> Path:
    """A copy of the database ``source`` with a run marked as going (after ``statements``, run on the copy)."""
    shutil.copy(source, copy)
    with duckdb.connect(str(copy)) as con:
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO runs (run_id, started_at, manifest, manifest_sha256, pipeline_version, status) "
                    "VALUES ('r-going', now(), 'm.csv', 'x', 'v', 'running')")
    return copy


def end_the_runs(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")


def test_a_missing_index_is_built_by_the_first_search_unless_a_run_is_going(bare_db: Path, tmp_path: Path):
    # a first run stopped before it built the index: while a run is going the index cannot be built, and the
    # search says what to do; once none is, the first search builds it
    copy = copy_with_a_run_going(bare_db, tmp_path / "bare.duckdb")
    with pytest.raises(CaseReviewError, match="casereview run"):
        search(copy, "information")
    assert search(copy, None, theme="assessment")[0].passage_id == "northmoor-2019-child-d-p3"
    end_the_runs(copy)
    assert search(copy, "information")


def test_a_search_in_a_runs_first_seconds_says_a_run_is_going(bare_db: Path, tmp_path: Path):
    # a run holds its lock seconds before it records itself (Prefect starts first): a search then told people to
    # start a run
    from pipeline.runlock import one_run_at_a_time

    copy = tmp_path / "starting.duckdb"
    shutil.copy(bare_db, copy)
    with one_run_at_a_time(copy, "manifest.csv"), pytest.raises(CaseReviewError, match="and a run is going"):
        search(copy, "information")


# --------------------------------------------------------------------------- the search tables


@pytest.mark.parametrize(("query", "filters"), [
    ("information sharing", {}),
    ("shared information", {"nation": "England"}),
    ("child", {"theme": "voice_of_child"}),
    ("plan meeting", {"min_score": 0.6, "year_from": 2020}),
    ('"share information" police', {}),
    ("the child's wishes", {"area": "llwyd"}),
    ("information school -police", {}),
    ('information NOT "share information"', {"nation": "England"}),
    ("information AND shared police", {}),
    ('(police OR "information sharing") AND (school OR shared)', {}),
    ('"share information" OR "seen alone"', {}),
])
def test_search_tables_rank_exactly_as_duckdb_match_bm25(db: Path, query: str, filters: dict):
    search(db, "information")  # the first search builds the search tables
    con = open_database(db)
    try:
        assert search_tables_fresh(con)
        searcher = Searcher(con)
        fast = searcher.search(query, use_search_tables=True, **filters)
        slow = searcher.search(query, use_search_tables=False, **filters)
    finally:
        con.close()
    assert fast, query
    assert [(h.passage_id, round(h.score, 9)) for h in fast] == [(h.passage_id, round(h.score, 9)) for h in slow]


def test_search_tables_are_rebuilt_after_the_index_changes_but_not_during_a_run(tmp_path: Path):
    path = build_corpus(tmp_path / "db.duckdb")
    search(path, "information")
    store = Store(path)
    run_id = store.start_run(Path("corpus_manifest/test.csv"), MANIFEST_SHA)
    extra = dict(REVIEWS[0], review_id="northmoor-2023-child-e", year=2023)
    store.write_review(run_id, _result(extra, line=9), seconds=0.1)
    store.rebuild_fts()
    with store.connect(read_only=True) as con:
        assert not search_tables_fresh(con)  # the index changed under them
    hits = search(path, "information sharing")  # a run is in progress: ranked with match_bm25, nothing built
    assert "northmoor-2023-child-e-p1" in ids(hits)
    with store.connect(read_only=True) as con:
        assert not search_tables_fresh(con)
    store.finish_run(run_id)
    assert ids(search(path, "information sharing")) == ids(hits)
    with store.connect(read_only=True) as con:
        assert search_tables_fresh(con)


def test_a_search_with_a_wildcard_or_no_words_the_index_holds_says_what_to_write():
    with pytest.raises(CaseReviewError, match=r"\* is not a wildcard here, so write whole words. Each word is already "
                                              r"found in every form: \"neglect\" also finds neglected"):
        parse_query("negl* school")
    with pytest.raises(CaseReviewError, match=r"has no words or numbers the index can look for \(it holds the "
                                              r"reviews' words in the Latin alphabet"):
        parse_query("子供 😀")
    assert parse_query("was the child seen alone?").words[-1] == "alone"  # a question mark is not a wildcard


def test_passages_the_index_does_not_hold_yet_are_said_and_indexed_once_no_run_is_going(db: Path, tmp_path: Path):
    # what a run stopped after saving a review and before rebuilding the index leaves behind
    copy = copy_with_a_run_going(db, tmp_path / "stopped.duckdb", (
        "INSERT INTO passages SELECT * REPLACE ('late-p1' AS passage_id, seq + 100 AS seq, "
        "'The zebrafish project was never told about the move.' AS text) FROM passages LIMIT 1"))
    going = search_with_forms(copy, "zebrafish")
    assert going.hits == [] and going.unindexed == 1
    result = CliRunner().invoke(search_command, ["zebrafish", "--db", str(copy)])
    assert "Note: 1 passage read by a run that is still going, or that was stopped, is not in the search index" \
        in " ".join(result.output.split())
    end_the_runs(copy)
    after = search_with_forms(copy, "zebrafish")  # no run is going: the search rebuilds the index first
    assert ids(after.hits) == ["late-p1"] and after.unindexed == 0
    # a review read again into as many passages as before, but other ones, is caught too
    swapped = copy_with_a_run_going(db, tmp_path / "swapped.duckdb", (
        "UPDATE passages SET passage_id = 'new-p1', text = 'The zebrafish project was never told.' "
        "WHERE passage_id = (SELECT min(passage_id) FROM passages)"))
    assert search_with_forms(swapped, "zebrafish").unindexed == 1


def test_a_minus_sign_or_not_leaves_out_the_passages_using_a_word_in_any_form(db: Path):
    every = {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}
    assert set(ids(search(db, "information"))) == every
    # "Police held reports ..." is left out, however the sign is typed, and in any form of the word
    for query in ("information -police", "information NOT police", "-police information", "information \u2013police",
                  "information -policing", "information -Police,"):
        assert set(ids(search(db, query))) == every - {"northmoor-2021-family-k-p1"}, query
        assert count_in(db, query) == (2, 2), query
    assert set(ids(search(db, "wishes"))) == {"northmoor-2019-child-d-p2", "cwm-llwyd-2022-child-w-p1"}
    assert search(db, "wishes -recording") == []  # both say "recorded"
    # a word in the heading counts, as it does for what is found: "Family background" holds it, not the text
    assert set(ids(search(db, "police"))) == {"northmoor-2021-family-k-p1", "northmoor-2021-family-k-p2"}
    assert ids(search(db, "police -background")) == ["northmoor-2021-family-k-p1"]
    # a phrase is left out only as written
    assert ids(search(db, 'information -"share information"')) == ["northmoor-2019-child-d-p1"]
    assert count_in(db, 'information NOT "share information"') == (1, 1)
    assert set(ids(search(db, 'information -"information share"'))) == every
    # a search that finds nothing offers its phrase without quotes, keeping the phrase it leaves out whole
    nothing = search_with_forms(db, '"information about domestic" -"share information"')
    assert nothing.hits == [] and nothing.without_quotes == 1  # not 'information about domestic -share information'
    # a word no passage uses leaves nothing out; a phrase inside quotes is searched as written
    assert set(ids(search(db, "information -zebrafish"))) == every
    assert parse_query('"child -police"').phrases == ("child -police",)
    # with a theme and no other words, the theme's passages without the word
    tagged = {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}
    assert set(ids(search(db, None, theme="information_sharing"))) == tagged
    assert set(ids(search(db, "-police", theme="information_sharing"))) == tagged - {"northmoor-2021-family-k-p1"}
    assert count_in(db, "NOT police", theme="information_sharing") == (2, 2)
    # hyphens, dashes between numbers and lower-case "not" are searched as before
    for query in ("multi-agency plan", "2019 - 2020 plan", "aged 15 -16 plan", "plan not police"):
        assert not parse_query(query).left_out, query


def test_and_between_words_finds_only_passages_using_each_of_them_in_any_form(db: Path):
    assert ids(search(db, "information AND police")) == ["northmoor-2021-family-k-p1"]
    assert count_in(db, "information AND police") == (1, 1)
    # any form ("sharing", "share"), in the heading too ("Family background"), beside words that only rank
    every = {"northmoor-2019-child-d-p1", "northmoor-2021-family-k-p1", "cwm-llwyd-2020-child-t-p2"}
    assert set(ids(search(db, "information AND shared"))) == every
    assert ids(search(db, "police AND background")) == ["northmoor-2021-family-k-p2"]
    assert ids(search(db, "police AND known alcohol"))[0] == "northmoor-2021-family-k-p2"
    assert set(ids(search(db, "police AND known alcohol"))) == {"northmoor-2021-family-k-p2"}
    assert search(db, "information AND zebrafish") == []  # no passage uses it, so none holds both
    # with a phrase, a section or a word left out
    assert ids(search(db, '"share information" AND police')) == ["northmoor-2021-family-k-p1"]
    assert search(db, "information AND police -health") == []
    # lower-case "and" is a filler word, as before; a section list's "AND" names both sections
    assert not parse_query("information and police").all_words
    assert parse_query("sections 17 AND 47 AND neglect").all_words == ("neglect",)


IN_FAMILY_K = 'in the review "Family K: a child safeguarding practice review" (northmoor-2021-family-k)'


def test_one_review_is_listed_in_page_order_when_asked(db: Path, tmp_path: Path):
    review = {"review": "northmoor-2021-family-k"}
    in_order = ["northmoor-2021-family-k-p1", "northmoor-2021-family-k-p2", "northmoor-2021-family-k-p3"]
    best = search_with_forms(db, "schools police", **review).hits
    assert {hit.passage_id for hit in best} == set(in_order) and ids(best) != in_order  # best first differs
    assert ids(search_with_forms(db, "schools police", page_order=True, **review).hits) == in_order
    later = search_with_forms(db, "schools police", page_order=True, limit=1, offset=1, **review)
    assert ids(later.hits) == in_order[1:2] and later.more and later.total == 3  # a page counts in page order
    # a theme's passages in the review, as it is read
    assert ids(search_with_forms(db, None, theme="parental_factors", page_order=True, **review).hits) == in_order[:2]
    with pytest.raises(CaseReviewError, match="page order lists the passages found in one review"):
        search_with_forms(db, "police", page_order=True)

    def run(*args: str):
        result = CliRunner().invoke(search_command, [*args, "--db", str(db)])
        return result.exit_code, " ".join(result.output.split())

    code, said = run("schools police", "--review", "Family K", "--page-order")
    assert code == 0 and f'3 passages for "schools police" {IN_FAMILY_K}, in page order' in said
    assert [said.index(passage) for passage in in_order] == sorted(said.index(passage) for passage in in_order)
    assert run("police", "--page-order")[0] == 2
    code, said = run("police", "--review", "Family K", "--page-order", "--by-review")
    assert code == 2 and "give one of them" in said
    out = tmp_path / "in-order.md"
    code, said = run("schools police", "--review", "Family K", "--page-order", "--out", str(out))
    assert code == 0 and f'3 passages for "schools police" {IN_FAMILY_K}, in page order' in said
    saved = out.read_text(encoding="utf-8")
    assert "3 passages, in the order of the review's pages" in saved
    assert [saved.index(passage) for passage in in_order] == sorted(saved.index(passage) for passage in in_order)


@pytest.fixture(scope="module")
def either_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Passages for brackets beside AND (review northmoor-2023-child-e, passages p1-p6)."""
    path, _ = corpus_with(tmp_path_factory.mktemp("either") / "db.duckdb", [
        P("Findings", (2, 2), ["The school nurse noticed signs of neglect at home."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["Emotional abuse was not recognised by the nursery."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["Neglect was recorded by the health visitor."], vector=[0, 0, 1, 0]),
        P("Findings", (5, 5), ["The school joined a strategy meeting under s.47 the next day."], vector=[0, 0, 0, 1]),
        P("Findings", (6, 6), ["The school trip was cancelled."], vector=[1, 1, 0, 0]),
        P("Findings", (7, 7), ["His father's abuse of alcohol was known to the school."], vector=[0, 1, 1, 0]),
    ])
    return path


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(("query", "expected"), [
    # any one of the words in brackets (in any form), a phrase as written ("abuse of alcohol" is not "emotional
    # abuse"), and each thing joined
    ('(neglect OR "emotional abuse") AND (school OR nursery)', {1, 2}),
    ('(neglected "emotional abuse") AND school', {1}),  # OR may be left out; any form of the word
    ("(neglect OR s47) AND school", {1, 4}),  # a section in brackets, in any of its forms
    ('(neglect OR "section 47") AND school AND strategy', {4}),
    ("school AND (nurse OR trip)", {1, 5}),
    ("(neglect) AND school", {1}),  # one word in brackets is one word
    ('(zebrafish OR "purple elephant") AND school', set()),  # nothing holds any of them, so none is found
    ('(neglect OR "emotional abuse") AND school -nurse', set()),
    ('(neglect OR "emotional abuse") AND (school OR nursery) NOT "emotional abuse"', {1}),
    # OR between phrases, or a phrase and a word or section, and brackets holding OR: any one of them will do
    ('"emotional abuse" OR "trip was cancelled"', {2, 5}),
    ('"emotional abuse" OR neglect', {1, 2, 3}),
    ('s47 OR "emotional abuse"', {2, 4}),
    ("(neglect OR nursery) school", {1, 2, 3}),
])
def test_brackets_and_or_need_one_of_their_words(either_db: Path, query: str, expected: set[int], fast: bool):
    search(either_db, "school")  # builds the search tables
    con = open_database(either_db)
    try:
        searcher = Searcher(con)
        hits = searcher.search(query, limit=50, use_search_tables=fast)
        assert {hit.passage_id for hit in hits} == {f"northmoor-2023-child-e-p{n}" for n in expected}, query
        searcher._fresh = fast  # count by the same way of ranking
        assert searcher.count(query)[0] == len(expected), query
        assert sum(n for _, n in searcher.count_by_review(query)) == len(expected), query
    finally:
        con.close()


def test_brackets_are_said_marked_and_saved(either_db: Path, tmp_path: Path):
    query = '(neglect OR "emotional abuse") AND (school OR nursery)'
    hits = search(either_db, query)
    marked = {hit.passage_id: [hit.snippet_text[a:b] for a, b in hit.highlights] for hit in hits}
    assert marked["northmoor-2023-child-e-p2"][:1] == ["Emotional abuse"]  # the phrase, marked whole
    note = ('Note: each passage found holds (neglect or "emotional abuse") and (school or nursery); words count in '
            'any form, phrases as written.')
    assert operator_note(query) == note
    assert "OR is not needed" not in operator_note(query)
    assert how_they_match(query + " home") == (
        ' (each holds (neglect or "emotional abuse") and (school or nursery); the other words only put those '
        'holding them first)')
    assert all_required('(zebrafish OR "purple elephant") AND school').startswith(
        'every passage found must hold (zebrafish or "purple elephant") and school')
    # without AND, brackets holding OR still need one of their words; the other words only rank
    assert {hit.passage_id for hit in search(either_db, "(neglect OR nursery) school")} == {
        "northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2", "northmoor-2023-child-e-p3"}
    assert operator_note("(neglect OR nursery) school") == (
        "Note: each passage found holds neglect or nursery; words count in any form.")
    # OR between words alone changes nothing: the note says so, and how to group words
    assert "put brackets around those any one of which will do" in operator_note("neglect OR nursery")
    # brackets without OR or AND are part of the text (a pasted "Child E (aged 3)", a lower-case "or")
    assert not parse_query("neglect (aged 3) school").all_of and not parse_query("s20 (s17 or s47)").all_of
    result = CliRunner().invoke(search_command, [query, "--db", str(either_db)])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and note in said, result.output
    assert "northmoor-2023-child-e-p1" in said and "northmoor-2023-child-e-p6" not in said
    out = tmp_path / "either.md"
    assert CliRunner().invoke(search_command, [query, "--out", str(out), "--db", str(either_db)]).exit_code == 0
    assert ('Each passage holds (neglect or "emotional abuse") and (school or nursery); words count in any form, '
            "phrases as written.") in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("query", "error"), [
    ("neglect OR abuse AND school", 'put brackets around the words any one of which will do, as in (neglect OR'),
    ("(neglect OR abuse AND school", "opens a bracket without closing it"),
    ("neglect) AND school", "closes a bracket it did not open"),
    ("((neglect OR abuse)) AND school", "has brackets inside brackets"),
    ("(neglect AND abuse) AND school", "has AND inside brackets"),
    ("(OR) AND school", "has brackets with no words in them"),
    ("(the OR neglect) AND school", "joins the with AND, but the search index does not hold very common words"),
    ('("in the" OR neglect) AND school', 'joins "in the" with AND'),
    ("(neglect OR NOT police) AND school", "leaves something out inside brackets"),
    ('school AND (neglect -"social care")', "put the minus sign or NOT outside the brackets"),
    # without AND or OR too: "(-school)" was searched as "school", the passages meant to be left out
    ("child (-school)", "leaves something out inside brackets"),
    # a minus or NOT before a bracket was dropped, so the passages that use the words were what came back
    ("child -(school OR nurse)", "put it before each word to leave out, as in child -school -nurse"),
    ("child AND NOT (school OR nurse)", "puts a minus sign or NOT before a bracket"),
    ("child NOT(school)", "puts a minus sign or NOT before a bracket"),
    ("child -'school'", "use double quotes to leave out a phrase"),
    # an operator with nothing on one side: a word left out by mistake, once searched as if the operator were not there
    ("neglect AND", "ends with AND: put what it joins after it"),
    ("AND neglect", "starts with AND: put what it joins before it"),
    ("neglect AND AND school", "has AND AND together"),
    ("neglect NOT", "ends with NOT: put the word to leave out after it"),
    ("neglect NOT NOT police", "has NOT NOT together"),
    ('"seen alone" OR OR "spoken to"', "has OR OR together"),
    ("neglect OR", "ends with OR: put what it joins after it, as in neglect OR school"),
    ("OR neglect", "starts with OR: put what it joins before it, as in neglect OR school"),
])
def test_brackets_that_cannot_be_read_are_refused_with_how_to_write_them(either_db: Path, query: str, error: str):
    with pytest.raises(CaseReviewError, match=re.escape(error)):
        search(either_db, query)


@pytest.mark.parametrize("query", ["neglect AND NOT police", "neglect AND -police", "NOT police AND neglect",
                                   "neglect AND NOT police AND school", "school AND (neglect OR)"])
def test_and_beside_what_is_left_out_joins_it(query: str):
    """What NOT or a minus sign leaves out is something AND joins: "X AND NOT Y" is how people write it."""
    parsed = parse_query(query)
    assert parsed.words and (parsed.left_out_words or "OR" in query)


def test_a_phrase_finds_its_apostrophes_and_hyphens_in_any_form(tmp_path: Path):
    # typeset reviews print "child’s" and "multi‑agency"; people type "child's" and "multi-agency", or paste
    # the curly form from Word
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["The child’s wishes were never recorded by the multi‑agency panel."],
          vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The child's wishes were written down at every visit."], vector=[0, 1, 0, 0]),
        # a word broken at a line's end in the text as typed keeps its hyphen and the space after it
        P("Method", (4, 4), ["We held semi- structured interviews with the multi agency panel."], vector=[0, 0, 1, 0]),
    ])
    both = {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2"}
    for typed in ('"child\'s wishes"', '"child’s wishes"', '"child‘s wishes"'):
        assert set(ids(search(path, typed))) == both, typed
        assert count_in(path, typed)[0] == 2, typed
    hits = {h.passage_id: h for h in search(path, '"multi-agency panel"')}
    assert set(hits) == {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p3"}
    hit = hits["northmoor-2023-child-e-p1"]
    assert [hit.snippet_text[a:b] for a, b in hit.highlights] == ["multi‑agency panel"]
    broken = search(path, '"semi-structured interviews"')
    assert ids(broken) == ["northmoor-2023-child-e-p3"]
    assert [broken[0].snippet_text[a:b] for a, b in broken[0].highlights] == ["semi- structured interviews"]
    assert ids(search(path, '"multiagency panel"')) == []  # (written solid, it is another phrase)
    here = {"review": "northmoor-2023-child-e"}
    assert set(ids(search(path, "wishes", **here))) == both
    assert set(ids(search(path, 'wishes -"child\'s wishes"', **here))) == set()  # left out in any form too
    assert set(ids(search(path, 'wishes -"multi-agency panel"', **here))) == {"northmoor-2023-child-e-p2"}
    assert ids(search(path, 'panel -"multi-agency"', **here)) == []  # every panel here is a multi-agency one


def test_a_section_is_left_out_however_it_is_written(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["No section 47 enquiry was held after the school's referral."], vector=[1, 0, 0, 0]),
        P("Findings", (3, 3), ["The s.47 enquiry did not involve the school."], vector=[0, 1, 0, 0]),
        P("Findings", (4, 4), ["The school's referral led to help under section 17."], vector=[0, 0, 1, 0]),
    ])
    found = set(ids(search(path, "school referral")))
    assert {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2", "northmoor-2023-child-e-p3"} <= found
    for query in ("school referral -s47", "school referral NOT section 47", 'school referral -"s 47"'):
        kept = set(ids(search(path, query)))
        assert kept == found - {"northmoor-2023-child-e-p1", "northmoor-2023-child-e-p2"}, query
        assert count_in(path, query)[0] == len(kept), query


def test_the_command_line_says_what_a_search_left_out(db: Path, tmp_path: Path):
    def run(*args: str):
        result = CliRunner().invoke(search_command, [*args, "--db", str(db)])
        return result.exit_code, " ".join(result.output.split())

    # unquoted words come as several arguments; a word starting with a minus sign is no option here
    for args in (["information", "-police"], ["-police information"], ["-police", "information"]):
        code, said = run(*args)
        assert code == 0 and "Note: passages that use police (in any form) are left out." in said, args
        assert "northmoor-2019-child-d-p1" in said and "northmoor-2021-family-k-p1" not in said, args
    code, said = run("-police", "--theme", "information_sharing")
    assert code == 0 and '2 passages for "-police", tagged Information sharing' in said
    assert "northmoor-2021-family-k-p1" not in said
    code, said = run("-police")
    assert code == 2 and "only leaves passages out: give words to look for as well" in said
    assert "No such option '-q'" in CliRunner().invoke(search_command, ["-q", "--db", str(db)]).output
    # with --json the note goes to the error stream, so the output stays JSON lines
    as_json = CliRunner().invoke(search_command, ["information -police", "--json", "--db", str(db)])
    assert "passages that use police (in any form) are left out" in as_json.stderr
    assert {json.loads(line)["passage_id"] for line in as_json.stdout.splitlines()} == {
        "northmoor-2019-child-d-p1", "cwm-llwyd-2020-child-t-p2"}
    # an option typed with one minus sign is said to be one, not left out of the search
    code, said = run("neglect", "-limit", "5")
    assert code == 2 and "'-limit' has one minus sign: did you mean the option --limit?" in said
    assert run("neglect", "-theme=assessment")[0] == 2
    # AND requires each word joined, and says so; OR is what a search does anyway, and said to be
    code, said = run("information AND school")
    assert code == 0 and "Note: each passage found uses information and school (in any form)." in said
    assert "northmoor-2019-child-d-p1" in said and "cwm-llwyd-2020-child-t-p2" not in said
    code, said = run("information OR school")
    assert code == 0 and "Note: OR is not needed: a passage needs only one of the words in any case" in said
    assert "Note" not in run("information and school")[1]
    assert "left out" not in run("multi-agency 2019 - 2020")[1]
    # a saved table says what was left out, in its header and with its provenance
    out = tmp_path / "left-out.md"
    code, said = run("information -police", "--out", str(out))
    assert code == 0 and "Left out: passages that use police (in any form)." in out.read_text(encoding="utf-8")
    assert "northmoor-2021-family-k-p1" not in out.read_text(encoding="utf-8")
    assert run("information -police", "--out", str(tmp_path / "left-out.csv"))[0] == 0
    info = json.loads((tmp_path / "left-out.csv.provenance.json").read_text(encoding="utf-8"))
    assert info["left_out"] == "passages that use police (in any form)"
    assert run("information AND school", "--out", str(tmp_path / "both.md"))[0] == 0
    saved = (tmp_path / "both.md").read_text(encoding="utf-8")
    assert "Each passage uses information and school (in any form)." in saved


def test_parse_query_keeps_words_and_phrases():
    parsed = parse_query('  "strategy  meeting" police ')
    assert parsed.words == ("strategy", "meeting", "police") and parsed.phrases == ("strategy meeting",)
    assert parse_query(None) is None


# --------------------------------------------------------------------------- similar


def test_similar_passages_are_nearest_first_and_exclude_the_passage(db: Path):
    hits = similar(db, "northmoor-2019-child-d-p1", limit=3)
    assert [h.passage_id for h in hits] == ["cwm-llwyd-2020-child-t-p2", "northmoor-2021-family-k-p1",
                                            "northmoor-2021-family-k-p3"]
    assert hits[0].kind == "passage" and hits[0].model == EMBEDDING_MODEL
    assert 0.99 < hits[0].similarity <= 1.0
    assert hits[0].page_start == 5 and hits[0].title == "Child T: a child practice review"
    others = similar(db, "northmoor-2019-child-d-p2", limit=3, other_reviews=True)
    assert others and all(not h.review_id.startswith("northmoor-2019") for h in others)
    assert others[0].passage_id == "cwm-llwyd-2022-child-w-p1"


def test_similar_reviews_use_the_mean_of_their_passages(db: Path):
    hits = similar(db, "northmoor-2019-child-d")
    assert {h.review_id for h in hits} == {"northmoor-2021-family-k", "cwm-llwyd-2020-child-t",
                                           "cwm-llwyd-2022-child-w"}
    assert all(h.kind == "review" and h.passage_id is None for h in hits)
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    assert hits[0].passages in (2, 3)


def test_a_review_is_named_for_similar_by_words_of_its_title_as_for_search(db: Path):
    assert similar(db, "Child T") == similar(db, "cwm-llwyd-2020-child-t")
    with pytest.raises(CaseReviewError, match="is in the titles of"):
        similar(db, "review")


def test_similar_errors_are_clear(db: Path, bare_db: Path):
    with pytest.raises(CaseReviewError, match="Closest review ids: northmoor-2019-child-d"):
        similar(db, "northmoor-2019-child")
    # a review that was not read says why, not that it needs the theme model
    unread = "'northmoor-2021-child-m' has no text to compare: it was not read"
    with pytest.raises(CaseReviewError, match=unread) as err:
        similar(db, "northmoor-2021-child-m")
    assert "theme model" not in str(err.value)
    with pytest.raises(CaseReviewError, match="no passage embeddings"):
        similar(bare_db, "northmoor-2019-child-d-p1")


# --------------------------------------------------------------------------- the commands


def test_search_command_prints_numbered_results_for_people(db: Path):
    result = CliRunner().invoke(search_command, ["information sharing", "--db", str(db), "--limit", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1. Child D: a child safeguarding practice review" in out
    assert "2. " in out and "3. " not in out
    assert "p. 3–4" in out and "Findings" in out
    assert "**Information** **sharing**" in out
    assert "Information sharing 92%" in out and THEME_MODEL in out
    assert "not a probability" in out


def test_search_command_json_has_one_object_per_line(db: Path):
    result = CliRunner().invoke(search_command, ["--theme", "voice_of_child", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 2
    for key in ("review_id", "title", "area", "year", "page_start", "page_end", "text", "snippet", "score",
                "score_kind", "themes", "theme_model", "passage_id"):
        assert key in records[0]
    assert records[0]["score"] == 0.88 and records[0]["themes"] == {"voice_of_child": 0.88}


def test_one_review_is_searched_by_its_id_or_the_words_of_its_title(db: Path, tmp_path: Path):
    # a learning-review officer looks for something in the review in front of them, named as they know it
    found = CliRunner().invoke(search_command, ["information", "school", "--review", "Family K", "--db", str(db)])
    assert found.exit_code == 0, found.output
    assert "passage id: northmoor-2021-family-k-p1" in found.output and "Child D" not in found.output
    assert "In all" not in found.output  # both passages of the review are shown
    # named as found, by its title and id, whatever words named it
    assert found.output.startswith(f'2 passages for "information school" {IN_FAMILY_K}, best first')
    # words found in other reviews but not this one: which review it looked in is said the same way
    none = CliRunner().invoke(search_command, ["advocate", "--review", "Child D", "--db", str(db)])
    assert none.exit_code == 0
    assert ('No passages found for "advocate" in the review "Child D: a child safeguarding practice review" '
            "(northmoor-2019-child-d).") in " ".join(none.output.split())
    assert "Try fewer or different words, or looser filters." in none.output
    out = tmp_path / "family-k.csv"
    saved = CliRunner().invoke(search_command, ["information", "--review", "family k", "--db", str(db),
                                                "--out", str(out)])
    assert saved.exit_code == 0, saved.output
    assert {row["review_id"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))} == {
        "northmoor-2021-family-k"}
    info = json.loads((tmp_path / "family-k.csv.provenance.json").read_text())
    assert info["reviews"] == 'the review "northmoor-2021-family-k"'  # the id, however it was named
    several = CliRunner().invoke(search_command, ["information", "--review", "child", "--db", str(db)])
    assert several.exit_code == 2 and "give the id of the one you mean" in several.output
    assert "Traceback" not in several.output


def test_by_review_lists_the_reviews_a_search_finds_passages_in(db: Path, tmp_path: Path):
    # a researcher asks which reviews say something, and how many of those read: a review, not a passage, a line
    listed = CliRunner().invoke(search_command, ["information", "--by-review", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    every = search(db, "information", limit=1000)
    assert listed.output.startswith(f'Passages for "information" are in 3 of the 4 reviews read: {len(every)} '
                                    "passages in all. The reviews with the most come first.\n"
                                    # each year of the reviews read, with those of its reviews that have such passages
                                    "By year, reviews with them of those read: 2019: 1 of 1 · 2020: 1 of 1 · 2021: 1 "
                                    "of 1 · 2022: 0 of 1\n")
    in_each = Counter(hit.review_id for hit in every)
    assert in_each == {"northmoor-2019-child-d": 1, "northmoor-2021-family-k": 1, "cwm-llwyd-2020-child-t": 1}
    assert re.findall(r"^\d{4}  (\S+): (\d+) of its (\d+) passages$", listed.output, flags=re.M) == [
        ("cwm-llwyd-2020-child-t", "1", "2"), ("northmoor-2019-child-d", "1", "3"),
        ("northmoor-2021-family-k", "1", "3")]  # equal counts: by review id
    assert f"To read one review's passages: casereview search information --review REVIEW_ID --db {db}" \
        in listed.output
    wales = CliRunner().invoke(search_command, ["--theme", "information_sharing", "--nation", "Wales", "--by-review",
                                                "--json", "--db", str(db)])
    assert wales.exit_code == 0
    rows = [json.loads(line) for line in wales.stdout.splitlines()]
    assert wales.stderr.startswith("Passages for the theme Information sharing are in 1 of the 2 reviews read that the "
                                   "filters keep (nation Wales): 1 passage in all.")
    assert "By year, reviews with them of those read: 2020: 1 of 1 · 2022: 0 of 1" in wales.stderr
    assert rows == [{"review_id": "cwm-llwyd-2020-child-t", "title": "Child T: a child practice review",
                     "area": CWM_LLWYD, "nation": "Wales", "review_type": "CPR", "year": 2020, "passages_found": 1,
                     "review_passages": 2}]
    out = tmp_path / "school.csv"
    saved = CliRunner().invoke(search_command, ["information school police", "--by-review", "--out", str(out),
                                                "--db", str(db)])
    assert saved.exit_code == 0, saved.output
    assert saved.output.startswith(f'Wrote {out}: the 3 reviews with passages for "information school police", the '
                                   "most passages first (5 passages in all).")
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(table[0]) == ["review", "review_id", "area", "nation", "review_type", "year", "passages_found",
                              "review_passages"]
    assert [(row["review_id"], row["passages_found"]) for row in table] == [
        ("northmoor-2021-family-k", "3"), ("cwm-llwyd-2020-child-t", "1"), ("northmoor-2019-child-d", "1")]
    info = json.loads((tmp_path / "school.csv.provenance.json").read_text())
    assert info["reviews_read"] == 4 and info["rows"] == 3 and "limit" not in info
    assert info["reviews_by_year"][-1] == {"year": 2022, "reviews_with_passages": 0, "reviews_read": 1}
    import openpyxl

    book = tmp_path / "school.xlsx"
    saved = CliRunner().invoke(search_command, ["school", "--by-review", "--out", str(book), "--db", str(db)])
    assert saved.exit_code == 0, saved.output
    assert openpyxl.load_workbook(book).sheetnames == ["Reviews", "Columns", "Provenance"]
    md = tmp_path / "school.md"
    saved = CliRunner().invoke(search_command, ["school", "--by-review", "--out", str(md), "--db", str(db)])
    assert saved.exit_code == 0, saved.output
    assert md.read_text(encoding="utf-8").startswith('# Reviews with passages for "school"')
    assert "Passages found in 2 of the 4 reviews read (2 passages in all)" in md.read_text(encoding="utf-8")
    assert info["columns"]["passages_found"].startswith("The review's passages that the search found")
    none = CliRunner().invoke(search_command, ["advocate", "--by-review", "--nation", "England", "--db", str(db)])
    assert none.exit_code == 0 and none.output.startswith('No passages found for "advocate"')


def test_search_results_saved_as_a_table_with_what_was_searched(db: Path, tmp_path: Path):
    import openpyxl

    printed = CliRunner().invoke(search_command, ["information sharing", "--db", str(db), "--limit", "2"])
    out = tmp_path / "sharing.csv"
    result = CliRunner().invoke(search_command, ["information sharing", "--db", str(db), "--limit", "2",
                                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    every = search(db, "information sharing")
    assert result.output.startswith(f'Wrote {out}: 2 passages for "information sharing", best first '
                                    f'({len(every)} match in all: --limit {len(every)} saves them all)')
    assert "sharing.csv.provenance.json" in result.output and "1. Child D" not in result.output
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["rank"] for row in table] == ["1", "2"]
    first = table[0]
    assert first["review"] == "Child D: a child safeguarding practice review" and first["pages"] == "3–4"
    assert "Information sharing 92%" in first["themes"] and first["theme_model"] == THEME_MODEL
    assert first["matched"] in first["passage"] and "not a probability" in first["score_is"]
    assert f"passage id: {first['passage_id']}" in printed.output  # the same passages as printed, in order
    info = json.loads((tmp_path / "sharing.csv.provenance.json").read_text())
    assert info["query"] == "information sharing" and info["limit"] == 2 and info["rows"] == 2
    assert info["passages_matching"] == len(every)
    assert info["reviews_matching"] == len({hit.review_id for hit in every})
    assert info["how_passages_match"].startswith("a passage needs only one of the words")
    assert info["manifest_sha256"] == MANIFEST_SHA and info["theme_models"] == [THEME_MODEL]
    # Excel: the results and the provenance on two sheets; Markdown: a header block, then the table
    book_path = tmp_path / "voice.xlsx"
    result = CliRunner().invoke(search_command, ["--theme", "voice_of_child", "--nation", "England", "--db", str(db),
                                                 "--out", str(book_path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["Results", "Columns", "Provenance"]
    about = dict(list(book["Provenance"].values)[1:])
    assert about["theme"] == "Voice of the child" and about["reviews"] == "nation England"
    md = tmp_path / "voice.md"
    assert CliRunner().invoke(search_command, ["--theme", "voice_of_child", "--db", str(db), "--out",
                                               str(md)]).exit_code == 0
    header, rows = md.read_text(encoding="utf-8").split("| # |", 1)
    assert header.startswith("# Search results for the theme Voice of the child") and MANIFEST_SHA in header
    assert rows.count("\n| ") == 3  # the separator and two passages
    capped = tmp_path / "capped.md"
    assert CliRunner().invoke(search_command, ["information", "--limit", "1", "--db", str(db), "--out",
                                               str(capped)]).exit_code == 0
    assert "1 passage, best match first; at most 1; " in capped.read_text(encoding="utf-8")
    assert "match in all, in " in capped.read_text(encoding="utf-8")
    nothing = CliRunner().invoke(search_command, ["trampoline", "--db", str(db), "--out", str(tmp_path / "no.csv")])
    assert nothing.exit_code == 0 and f"Nothing was written to {tmp_path / 'no.csv'}." in nothing.output
    assert not (tmp_path / "no.csv").exists()


@pytest.mark.parametrize(("name", "more", "message"), [
    ("results.pdf", [], "name the file .csv, .xlsx (Excel) or .md"),
    ("results.csv", ["--json"], "not both"),
])
def test_search_results_file_errors_are_clear(db: Path, tmp_path: Path, name: str, more: list[str], message: str):
    result = CliRunner().invoke(search_command, ["school", "--out", str(tmp_path / name), *more, "--db", str(db)])
    assert result.exit_code == 2 and message in result.output
    assert not list(tmp_path.iterdir())


def test_search_command_errors_exit_2_without_traceback(db: Path):
    result = CliRunner().invoke(search_command, ["--theme", "nonsense", "--db", str(db)])
    assert result.exit_code == 2
    assert "unknown theme" in result.output and "Traceback" not in result.output
    empty = CliRunner().invoke(search_command, ["--db", str(db)])
    assert empty.exit_code == 2 and "nothing to search for" in empty.output


def test_search_command_says_when_nothing_matches(db: Path):
    result = CliRunner().invoke(search_command, ["trampoline", "--db", str(db)])
    assert result.exit_code == 0
    assert 'No passages found for "trampoline". Try fewer or different words.' in result.output
    # words beside a theme that tags passages: it is the words that kept them out, and the message says so
    tagged = len(search(db, None, theme="voice_of_child", limit=100))
    worded = CliRunner().invoke(search_command, ["trampoline", "--theme", "voice_of_child", "--db", str(db)])
    assert (f"No passages found for \"trampoline\" tagged with the theme 'voice_of_child': {tagged} passages are "
            "tagged with it there, but none of them holds these words.") in worded.output
    from pipeline.web import Pages

    page = Pages(db).answer("/?q=trampoline&theme=voice_of_child").body.decode("utf-8")
    assert f"{tagged} passages are tagged with the theme and kept by the filters, but none of them holds" in page
    # with filters, it says which ones kept nothing, and what to try
    filtered = CliRunner().invoke(search_command, ["--theme", "voice_of_child", "--min-score", "1", "--year-from",
                                                   "2019", "--db", str(db)])
    assert filtered.exit_code == 0, filtered.output
    assert ("No passages found tagged with the theme 'voice_of_child' at a probability of 1 or more in the reviews "
            "kept by the filters (years from 2019). Try a lower --min-score, or looser filters.") in filtered.output


def test_a_quoted_phrase_that_finds_nothing_names_its_words_unquoted_and_the_theme_it_is_close_to(db: Path):
    """A phrase finding nothing says how many passages hold all its words apart (a count of those holding any one
    of them said nothing: most passages hold one), and that it is close to a theme's name, each with the command
    to run, filters and --db kept."""
    apart = search_with_forms(db, "information AND not AND shared", nation="England").total
    assert 0 < apart < search_with_forms(db, "information not shared", nation="England").total
    tagged = len(search(db, None, theme="information_sharing", nation="England", limit=100))
    result = CliRunner().invoke(search_command, ['"information not shared"', "--nation", "England", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert (f"Without the quotes, {counted(apart, 'passage')} {'holds' if apart == 1 else 'hold'} all its words, "
            f"apart: casereview search 'information AND not AND shared' --nation England --db {db}") in result.output
    assert ('"information not shared" is close to the name of the learning theme Information sharing, which tags '
            f"{tagged} passages: casereview search --theme information_sharing --nation England --db {db}"
            ) in result.output
    # the hints this search's own words give come first, then the general advice
    lines = result.output.splitlines()
    assert lines[-1] == "Otherwise, try fewer or different words, or looser filters."
    assert lines[-4].startswith('No passages found for "information not shared"')
    # words that find nothing and name no theme: no such hint
    plain = CliRunner().invoke(search_command, ["trampoline", "--db", str(db)])
    assert "Without the quotes" not in plain.output and "learning theme" not in plain.output


def test_search_in_a_database_where_no_review_was_read_says_so(tmp_path: Path):
    store = Store(tmp_path / "empty.duckdb")  # as after a run whose every review failed
    run_id = store.start_run(Path("corpus_manifest/test.csv"), MANIFEST_SHA)
    assert store.rebuild_fts()
    store.finish_run(run_id)
    result = CliRunner().invoke(search_command, ["child", "--db", str(tmp_path / "empty.duckdb")])
    assert result.exit_code == 2 and "the database holds no passages yet" in result.output
    assert f"`casereview status --db {tmp_path / 'empty.duckdb'}`" in " ".join(result.output.split())


def test_similar_command_human_and_json(db: Path):
    human = CliRunner().invoke(similar_command, ["northmoor-2019-child-d-p1", "--limit", "2", "--db", str(db)])
    assert human.exit_code == 0, human.output
    assert "1. Child T: a child practice review" in human.output and "similarity" in human.output
    lines = CliRunner().invoke(similar_command, ["cwm-llwyd-2022-child-w", "--json", "--db", str(db)]).output
    records = [json.loads(line) for line in lines.splitlines()]
    assert records and all(r["kind"] == "review" and "similarity" in r for r in records)
    reviews = CliRunner().invoke(similar_command, ["cwm-llwyd-2022-child-w", "--db", str(db)]).output
    # what is compared with is named: the review's title and id, the passage's review, pages and words
    assert ("reviews most like Child W: a child practice review (cwm-llwyd-2022-child-w)" in reviews
            and "read the order, not the size" in reviews)
    assert ("passages most like the passage northmoor-2019-child-d-p1 (Child D: a child safeguarding practice "
            'review, pp. 3-4): "Information sharing between the school a') in human.output
    # any two passages score well above 0 (half of the demo's pairs over 0.5): "0 = unrelated" read as a scale
    # made 0.8 look close
    assert "any two score well above 0" in human.output and "read the order" in human.output
    # ids in another case, and words of one title, name the same thing
    for typed in ("CWM-LLWYD-2022-CHILD-W", "Child W"):
        again = CliRunner().invoke(similar_command, [typed, "--db", str(db)]).output
        assert "reviews most like Child W: a child practice review (cwm-llwyd-2022-child-w)" in again, typed
    upper = CliRunner().invoke(similar_command, ["NORTHMOOR-2019-CHILD-D-P1", "--limit", "2", "--db", str(db)])
    assert upper.exit_code == 0 and "the passage northmoor-2019-child-d-p1 (" in upper.output


def test_a_removed_review_is_no_longer_searched_or_counted(tmp_path: Path):
    from pipeline.cli import main

    path = build_corpus(tmp_path / "db.duckdb")
    sibling = tmp_path / "other.duckdb"  # another database in the same folder, reading the same PDFs
    shutil.copy(path, sibling)
    runner = CliRunner()
    assert "northmoor-2021-family-k-p1" in ids(search(path, "information sharing"))
    with duckdb.connect(str(path), read_only=True) as con:  # the store's copies of the documents
        checksums = dict(con.execute("SELECT review_id, sha256 FROM documents WHERE sha256 NOT NULL").fetchall())
    for sha in checksums.values():
        for db in (path, sibling):
            blob_path(store_dir_for(db), sha).parent.mkdir(parents=True, exist_ok=True)
            blob_path(store_dir_for(db), sha).write_bytes(b"%PDF-1.7")
    # an unknown id removes nothing, and a "no" at the question removes nothing
    result = runner.invoke(main, ["remove", "northmoor-2021-family-k", "nosuch-review", "--db", str(path)])
    assert result.exit_code != 0 and "has no review 'nosuch-review': nothing was removed" in result.output
    result = runner.invoke(main, ["remove", "northmoor-2021-family-k", "--db", str(path)], input="n\n")
    assert "northmoor-2021-family-k: Family K: a child safeguarding practice review (" in result.output
    assert "3 passages" in result.output and "Nothing removed." in result.output
    assert "northmoor-2021-family-k-p1" in ids(search(path, "information sharing"))
    # the id in another case (as --review takes it) is the same review
    result = runner.invoke(main, ["remove", "Northmoor-2021-Family-K", "--db", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"Removed 1 review, and its PDF from the document store {tmp_path / 'db-store'}." in result.output
    for review_id, sha in checksums.items():  # its copy goes; the others stay
        assert blob_path(store_dir_for(path), sha).exists() == (review_id != "northmoor-2021-family-k")
    # the other database has a store of its own: its copy of the removed review's PDF stays
    assert all(blob_path(store_dir_for(sibling), sha).exists() for sha in checksums.values())
    hits = search(path, "information sharing")
    assert hits and not [h for h in hits if h.review_id == "northmoor-2021-family-k"]
    con = duckdb.connect(str(path), read_only=True)
    try:
        for table in ("reviews", "documents", "pages", "passages", "sentences", "passage_themes", "review_themes"):
            count = con.execute(f"SELECT count(*) FROM {table} WHERE review_id = 'northmoor-2021-family-k'"
                                ).fetchone()[0]
            assert count == 0, table
        for table in ("theme_evidence", "passage_embeddings"):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE passage_id LIKE 'northmoor-2021-family-k%'"
                               ).fetchone()[0] == 0, table
        assert con.execute("SELECT count(*) FROM passage_embeddings").fetchone()[0] > 0
        # the run's log keeps what happened to it; the other reviews are untouched
        assert con.execute("SELECT count(*) FROM run_reviews WHERE review_id = 'northmoor-2021-family-k'"
                           ).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM passages").fetchone()[0] == sum(
            len(r["passages"]) for r in REVIEWS if r["review_id"] != "northmoor-2021-family-k")
    finally:
        con.close()
    assert Store(path).reviews_not_in([r["review_id"] for r in REVIEWS]) == []


def test_section_keeps_passages_under_a_heading_containing_the_text(db: Path):
    # "schools" is in Family K's recommendation, and "school" in one of Child D's findings
    everywhere = ids(search(db, "schools"))
    assert "northmoor-2021-family-k-p3" in everywhere and len(everywhere) > 1
    assert ids(search(db, "schools", section="RECOMMEND")) == ["northmoor-2021-family-k-p3"]
    con = open_database(db)
    try:
        for fast in (True, False):  # the search tables and DuckDB's match_bm25 agree
            found = Searcher(con).search("information", section="findings", use_search_tables=fast)
            assert found and {hit.section for hit in found} == {"Findings"}
    finally:
        con.close()
    # with a theme and no words: the theme's passages under that heading
    assert ids(search(db, None, theme="voice_of_child", section="voice of")) == ["cwm-llwyd-2022-child-w-p1"]
    with pytest.raises(CaseReviewError, match=r"no passage is under a heading containing 'recomendations'\. "
                                              r"Did you mean 'recommendations' \(as in 'Recommendations'\)\? The most "
                                              r"common headings are: "):
        search(db, "schools", section="recomendations")
    result = CliRunner().invoke(search_command, ["neglect", "--section", "recommendations", "--db", str(db)])
    assert result.exit_code == 0
    assert "No passages found for \"neglect\" under a heading containing 'recommendations'. Try fewer or different " \
           "words, or another --section." in result.output


def test_the_command_line_marks_weak_tags_as_the_web_pages_do(tmp_path: Path):
    path, _ = corpus_with(tmp_path / "db.duckdb", [
        P("Findings", (2, 2), ["The school kept its worries to itself."], [("information_sharing", 0.45, 0)],
          [1, 0, 0, 0]),
        P("Findings", (3, 3), ["The school told nobody about the bruise."], [("information_sharing", 0.97, 0)],
          [0, 1, 0, 0]),
    ])
    result = CliRunner().invoke(search_command, ["school", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "Information sharing 45% (weak)" in result.output and "Information sharing 97%\n" in result.output
    assert "A probability marked (weak) is under 50%: a weak tag, the model is unsure this passage" in result.output
    strong = CliRunner().invoke(search_command, ["bruise", "--db", str(path)])
    assert "(weak)" not in strong.output


def test_a_review_that_was_not_read_says_why_wherever_it_is_named(db: Path, tmp_path: Path):
    """Searching, exporting or listing findings in one review that could not be read says so, with why, rather
    than "no passages found", which reads as "nothing about it in the review"."""
    from pipeline.outputs.export import export_theme
    from pipeline.outputs.findings import stated_findings

    why = r"the review 'northmoor-2021-child-m' \(Child M: rapid review\) has no text to look in: it was not read"
    for look in (lambda: search(db, "neglect", review="northmoor-2021-child-m"),
                 lambda: search(db, None, theme="assessment", review="Child M"),
                 lambda: export_theme(db, "assessment", "csv", tmp_path / "out.csv", review="northmoor-2021-child-m"),
                 lambda: stated_findings(db, review="northmoor-2021-child-m")):
        with pytest.raises(CaseReviewError, match=why) as err:
            look()
        assert "no page has a text layer: run OCR" in str(err.value) and "casereview status" in str(err.value)
    assert not (tmp_path / "out.csv").exists()
    result = CliRunner().invoke(search_command, ["neglect", "--review", "Child M", "--db", str(db)])
    assert result.exit_code != 0 and "has no text to look in" in result.output
    # a review that was read is searched as before, even where nothing matches
    assert search(db, "zebra", review="northmoor-2019-child-d") == []
    # a title's words pasted with their quotation marks name the review as without them
    assert search(db, "information", review="“Child D”") == search(db, "information", review="Child D")


def test_the_results_heading_says_what_the_filters_kept(db: Path):
    """Results copied from a terminal keep what they were filtered by, as the web page and saved tables do."""
    result = CliRunner().invoke(search_command, ["information", "--nation", "Wales", "--section", "findings",
                                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    heading = result.output.splitlines()[0]
    assert "for \"information\" under a heading containing 'findings' in the reviews kept by the filters " \
           "(nation Wales), best first" in heading, heading
    plain = CliRunner().invoke(search_command, ["information", "--db", str(db)])
    assert "kept by the filters" not in plain.output.splitlines()[0]


def test_years_and_probabilities_are_read_in_the_terminal_as_on_the_web_page(db: Path):
    """A two-figure year would keep every review (years from 22): refused, as the web page refuses it; a lowest
    probability may be typed as a percentage, as on the web page."""
    from pipeline.commands.outputs import export_command, trends_command

    for command, args in ((search_command, ["information"]), (trends_command, []),
                          (export_command, ["--theme", "assessment"])):
        result = CliRunner().invoke(command, [*args, "--year-from", "22", "--db", str(db)])
        assert result.exit_code == 2 and "'22' is not a year: give four figures, e.g. 2019" in result.output
    as_fraction = CliRunner().invoke(search_command, ["--theme", "information_sharing", "--min-score", "0.8",
                                                      "--db", str(db), "--json"])
    for typed in ("80", "80%"):
        as_percent = CliRunner().invoke(search_command, ["--theme", "information_sharing", "--min-score", typed,
                                                         "--db", str(db), "--json"])
        assert as_percent.exit_code == 0 and as_percent.output == as_fraction.output
    exported = CliRunner().invoke(export_command, ["--theme", "assessment", "--min-score", "80%", "--format", "md",
                                                   "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    # "2" could be 0.2 or 2% (and "1" is 100%): asked, not guessed; "2%" and "20" are plain
    for typed, said in (("1.5", "'1.5' could be a slip"), ("2", "'2' could be a slip"),
                        ("150", "'150' is not a probability")):
        result = CliRunner().invoke(search_command, ["--theme", "assessment", "--min-score", typed, "--db", str(db)])
        assert result.exit_code == 2 and said in result.output


def test_filters_that_keep_no_review_read_are_said_to_be_why_nothing_was_found(db: Path):
    result = CliRunner().invoke(search_command, ["information", "--year-from", "2030", "--db", str(db)])
    assert result.exit_code == 0
    assert ("No passages found for \"information\" in the reviews kept by the filters (years from 2030): the filters "
            "keep none of the reviews read, which are from 2019 to 2022. Try other filters.") in result.output, \
        result.output
    words = CliRunner().invoke(search_command, ["zebra", "--nation", "Wales", "--db", str(db)])
    assert "keep none" not in words.output and "Try fewer or different words" in words.output
