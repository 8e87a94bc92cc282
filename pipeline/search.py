"""Find passages: full-text search (BM25) with filters, the strongest evidence for a theme, and "more like this".

``search`` ranks passages by BM25 over the full-text index that every run builds (English stemming, so
``sharing`` also finds ``shared``; only the short list of words in ``pipeline.store.SEARCH_STOPWORDS`` is
left out, so "not seen alone" counts every word), keeps those that pass the filters (year, nation, review
type, area, theme and theme probability), and returns each hit with a snippet around the matched words and
the passage's themes as probabilities. With a theme and no words it lists the passages tagged with the
theme, most probable first. ``similar`` finds the passages (or reviews) nearest to one passage (or review)
by the cosine similarity of their embeddings. How a search string is read (words, "quoted phrases",
statutory sections) is ``pipeline.search_query``.

Ranking reads the search tables (schema ``search_index``: the index's postings sorted by word, built by
``build_search_tables``), which give exactly the scores of DuckDB's ``match_bm25`` while reading only the
rows of the words searched for; when they are missing or older than the index, search builds them (unless a
run is in progress or the file is read-only) or falls back to ``match_bm25``.

Words and filters are always passed to DuckDB as query parameters, never pasted into SQL text (the SQL of a
search is assembled only from fixed fragments), so anything a person types is treated as text to look for.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import CaseReviewError
from pipeline.lexicon import close_spellings, open_forms
from pipeline.outputs.common import (
    IN_SECTION_SQL,
    READ_REVIEW_SQL,
    REVIEW_FILTER_KEYS,
    REVIEW_FILTERS,
    TRAIL_MARK,
    KnownValues,
    check_section,
    check_years,
    closest_ids,
    counted,
    headings_above,
    open_database,
    printed_pages_sql,
    resolve_db,
    resolve_theme,
    reviews_list_hint,
    shorten,
    theme_names,
    why_unread,
)
from pipeline.search_query import (
    SHORT_SECTION,
    WORD_RE,
    ParsedQuery,
    fold,
    how_they_match,
    match_flags,
    name_words,
    parse_query,
    quoted_search,
    straight_quotes,
    theme_like,
    without_quotes,
)
from pipeline.settings import db_argument

log = logging.getLogger(__name__)

SNIPPET_CHARS = 280
# With a quoted phrase, rank this many times the hits wanted, then keep those holding the phrase (and again
# this many times deeper while too few do).
PHRASE_DEPTH = 4
# Passages are fetched by id in batches of at most this many: DuckDB looks a small batch up in the primary-key
# index, but scans the whole table for a larger one.
LOOKUP_CHUNK = 40
MAX_LIMIT = 1000
MAX_OFFSET = 10_000  # how far down the ranking a page of results may start (the web pages' "Next")
SCORE_KINDS = {
    "bm25": "keyword match score (BM25): higher means a closer match to the words; not a probability",
    "theme_probability": "the theme model's probability that the passage carries the theme (0-1)",
}

_COMPOUND_SPLIT = re.compile(r"[- ]")
# Search tables added after the first version: a database without one has them rebuilt by its next search.
_LATER_TABLES = ("abbreviations", "compounds", "open_compounds")

_HAS_FTS_INDEX = "SELECT count(*) > 0 FROM duckdb_schemas() WHERE schema_name = 'fts_main_passages'"
# Passages the full-text index does not hold (read by a run that was stopped before it rebuilt the index, or
# by one still going), and whether the index holds passages no longer there.
_UNINDEXED = """
SELECT (SELECT count(*) FROM passages p ANTI JOIN fts_main_passages.docs d ON d.name = p.passage_id),
       (SELECT count(*) FROM fts_main_passages.docs d ANTI JOIN passages p ON p.passage_id = d.name)"""
# The same question cheaply first (9 ms against 145 ms for the joins, at a million passages): the index holds
# exactly the passages there are when both sets have the same size and the same XOR of their ids' hashes.
_SAME_PASSAGES = """
SELECT (SELECT count(*) FROM passages) = (SELECT count(*) FROM fts_main_passages.docs)
   AND (SELECT bit_xor(hash(passage_id)) FROM passages) IS NOT DISTINCT FROM
       (SELECT bit_xor(hash(name)) FROM fts_main_passages.docs)"""
_FTS_PROBE = "SELECT stem('sharing', 'porter')"
# Each query word's stem, whether the index leaves it out as a common word, and its term id (NULL: in no passage).
_WORD_INFO = """
WITH words AS (SELECT w, stem(w, 'porter') AS stem FROM unnest($1::VARCHAR[]) AS t(w))
SELECT words.w, words.stem, words.w IN (SELECT sw FROM fts_main_passages.stopwords) AS common, d.termid
FROM words LEFT JOIN fts_main_passages.dict d ON d.term = words.stem"""
_STEMS = "SELECT list_transform($1::VARCHAR[], w -> stem(w, 'porter'))"
_USED_STEMS = """
SELECT w, stem(w, 'porter') AS stem FROM unnest($1::VARCHAR[]) AS t(w)
WHERE stem(w, 'porter') IN (SELECT term FROM fts_main_passages.dict)"""

# The filters every listing shares; each is switched off by passing NULL. The SQL of a search is put together
# from the fixed fragments below, depending on which filters are used; the values always travel as parameters.
_FILTERS = REVIEW_FILTERS
# Passages tagged with the theme (or, with only a minimum probability, with any theme) at that probability.
_TAGGED = """
SELECT passage_id FROM passage_themes
WHERE ($theme IS NULL OR theme = $theme) AND score >= coalesce($min_score, 0)"""

# ---- BM25 with DuckDB's own macro (used when the search tables below are missing or out of date).
_RANK_BM25 = """
WITH scored AS (
    SELECT passage_id, review_id, round(fts_main_passages.match_bm25(passage_id, $query), 9) AS score
    FROM passages
)
SELECT s.passage_id, s.score
FROM scored s {joins}
WHERE s.score IS NOT NULL {filters}
ORDER BY s.score DESC, s.passage_id
LIMIT $limit"""
_BM25_REVIEW_JOIN = "JOIN reviews r ON r.review_id = s.review_id"
_BM25_THEME_FILTER = f"AND s.passage_id IN ({_TAGGED})"
_IN_SECTION = f"SELECT s.passage_id FROM passages s WHERE {IN_SECTION_SQL.format(alias='s')}"
_BM25_SECTION_FILTER = f"AND s.passage_id IN ({_IN_SECTION})"

# ---- The same BM25 scores (k1 = 1.2, b = 0.75, as match_bm25) from term-sorted postings, so that a query
# reads only the rows of its own terms instead of scanning the whole index.
# Passages with equal scores (common: the same counts in passages of the same length) come in passage id order,
# on every path and at every limit, so a page of results is exactly that slice of one long list. Scores are
# rounded to 9 places first: a sum over several words can differ in its last bits with the order it is added
# up in, which would make equal scores unequal from one query to the next. The top passages are cut at the
# limit-th score, ties included, before they are looked up and put in order.
_SEARCH_SCHEMA = "search_index"
_BUILD_SEARCH_TABLES = """
CREATE SCHEMA IF NOT EXISTS search_index;
CREATE OR REPLACE TABLE search_index.review_keys AS
    SELECT row_number() OVER (ORDER BY review_id)::INTEGER AS rid, review_id
    FROM (SELECT DISTINCT review_id FROM passages);
CREATE OR REPLACE TABLE search_index.docs AS
    SELECT d.docid, d.name AS passage_id, k.rid, d.len::INTEGER AS len
    FROM fts_main_passages.docs d
    JOIN passages p ON p.passage_id = d.name
    JOIN search_index.review_keys k ON k.review_id = p.review_id
    ORDER BY d.docid;
CREATE OR REPLACE TABLE search_index.postings AS
    SELECT t.termid, t.docid, count(*)::INTEGER AS tf, any_value(d.len) AS len, any_value(d.rid) AS rid
    FROM fts_main_passages.terms t
    JOIN search_index.docs d ON d.docid = t.docid
    GROUP BY t.termid, t.docid
    ORDER BY t.termid, t.docid;
CREATE OR REPLACE TABLE search_index.meta AS
    SELECT (SELECT num_docs FROM fts_main_passages.stats) AS num_docs,
           (SELECT avgdl FROM fts_main_passages.stats) AS avgdl,
           (SELECT count(*) FROM fts_main_passages.dict) AS dict_terms,
           (SELECT count(*) FROM fts_main_passages.terms) AS term_rows,
           now()::TIMESTAMP AS built_at;"""
# Abbreviations the reviews define ("multi-agency risk assessment conference (MARAC)"), built with the tables.
_DEFINING_PASSAGES = r"""
SELECT review_id, text FROM passages WHERE regexp_matches(text, '\([A-Za-z][A-Za-z0-9&]{1,9}\)')"""
_BUILD_ABBREVIATIONS = """
CREATE OR REPLACE TABLE search_index.abbreviations AS
SELECT unnest($short::VARCHAR[]) AS short, unnest($long::VARCHAR[]) AS long, unnest($reviews::INTEGER[]) AS reviews"""
# Whether the search tables include this one (earlier versions of casereview did not build all of them).
_HAS_SEARCH_TABLE = """
SELECT count(*) > 0 FROM duckdb_tables() WHERE schema_name = 'search_index' AND table_name = $1"""
_ABBREVIATIONS = "SELECT short, long FROM search_index.abbreviations ORDER BY reviews DESC, short, long"
# Words written with hyphens in the reviews ("co-sleeping", "multi-agency"), built with the tables: a search
# for the word written solid ("cosleeping") also searches its parts.
_BUILD_COMPOUNDS = r"""
CREATE OR REPLACE TABLE search_index.compounds AS
SELECT replace(form, '-', '') AS joined, form AS hyphenated, count(*)::INTEGER AS uses
FROM (SELECT unnest(regexp_extract_all(lower(text), '[a-z]+(?:-[a-z]+)+')) AS form
      FROM passages WHERE contains(text, '-'))
GROUP BY ALL"""
_COMPOUNDS = """
SELECT joined, hyphenated FROM search_index.compounds WHERE joined IN (SELECT unnest($1::VARCHAR[]))
ORDER BY uses DESC, hyphenated"""
# English words the reviews write as two words ("child care" for "childcare", from ``lexicon.open_forms``): a
# search for the word written solid also searches its parts. Counted once per review, when the review is new
# or changed (``fingerprint``), as reading every word of a large database after every run would take seconds:
# how many of the review's passages write each word apart ("child care", a space between and nothing else:
# "the child. Care" is no compound) and solid ("childcare"). A word may have punctuation before or after it.
_OPEN_COMPOUND_COUNTS = """
CREATE TABLE IF NOT EXISTS search_index.open_compound_counts (
    review_id VARCHAR, fingerprint UBIGINT, joined VARCHAR, open VARCHAR, passages INTEGER)"""
_REVIEW_FINGERPRINTS = """
CREATE OR REPLACE TEMP TABLE review_fingerprints AS
SELECT review_id, bit_xor(hash(passage_id, text)) AS fingerprint FROM passages GROUP BY review_id"""
_DROP_STALE_COUNTS = """
DELETE FROM search_index.open_compound_counts c
WHERE NOT EXISTS (SELECT 1 FROM review_fingerprints f
                  WHERE f.review_id = c.review_id AND f.fingerprint = c.fingerprint)"""
_COUNT_NEW_REVIEWS = """
INSERT INTO search_index.open_compound_counts
WITH new AS (
    SELECT f.review_id, f.fingerprint FROM review_fingerprints f
    WHERE f.review_id NOT IN (SELECT review_id FROM search_index.open_compound_counts)),
forms AS (SELECT unnest($joined::VARCHAR[]) AS joined, unnest($open::VARCHAR[]) AS open),
terms AS (SELECT term FROM fts_main_passages.dict),
written AS (  -- each way of writing one between spaces, with punctuation before or after it; only the forms
              -- whose words are in the index (no passage can hold the others)
    SELECT before || form || after AS item, joined, open
    FROM (SELECT joined, open, open AS form FROM forms
          WHERE stem(split_part(open, ' ', 1), 'porter') IN (SELECT term FROM terms)
            AND stem(split_part(open, ' ', 2), 'porter') IN (SELECT term FROM terms)
          UNION ALL
          SELECT joined, NULL, joined FROM forms WHERE stem(joined, 'porter') IN (SELECT term FROM terms)),
         (SELECT unnest($before::VARCHAR[]) AS before), (SELECT unnest($after::VARCHAR[]) AS after)),
tokens AS (
    SELECT p.review_id, p.passage_id, string_split(replace(lower(p.text), chr(10), ' '), ' ') AS t
    FROM passages p JOIN new USING (review_id)),
items AS (
    SELECT review_id, passage_id,
           unnest(list_concat(t, list_transform(range(1, len(t)), i -> t[i] || ' ' || t[i + 1]))) AS item
    FROM tokens),
found AS (
    SELECT items.review_id, written.joined, written.open, count(DISTINCT items.passage_id)::INTEGER AS passages
    FROM items JOIN written USING (item) GROUP BY ALL)
SELECT new.review_id, new.fingerprint, found.joined, found.open, found.passages
FROM new LEFT JOIN found USING (review_id)"""  # a review without any keeps one row (NULLs): it was counted
_BUILD_OPEN_COMPOUNDS = """
CREATE OR REPLACE TABLE search_index.open_compounds AS
WITH apart AS (
    SELECT joined, open, sum(passages)::INTEGER AS passages FROM search_index.open_compound_counts
    WHERE open IS NOT NULL GROUP BY ALL),
solid AS (
    SELECT joined, sum(passages)::INTEGER AS passages FROM search_index.open_compound_counts
    WHERE open IS NULL AND joined IS NOT NULL GROUP BY ALL)
SELECT apart.joined, apart.open, apart.passages, coalesce(solid.passages, 0) AS solid_passages
FROM apart LEFT JOIN solid USING (joined)"""
# The open forms of the query's words, where the reviews write a word apart in at least a fifth as many
# passages as write it solid: "carefully" is not searched as "care" and "fully" because "in care fully funded"
# happens once in reviews that write "carefully" more.
_OPEN_COMPOUNDS = """
SELECT joined, open FROM search_index.open_compounds
WHERE joined IN (SELECT unnest($1::VARCHAR[])) AND passages * 5 >= solid_passages
ORDER BY passages DESC, open"""
_HAS_SCHEMA = "SELECT count(*) > 0 FROM duckdb_schemas() WHERE schema_name = $1"
# The search tables match the full-text index when these counts agree (the index is rebuilt after every run).
_SEARCH_TABLES_FRESH = """
SELECT count(*) > 0 FROM search_index.meta m
WHERE m.num_docs = (SELECT num_docs FROM fts_main_passages.stats)
  AND m.avgdl = (SELECT avgdl FROM fts_main_passages.stats)
  AND m.dict_terms = (SELECT count(*) FROM fts_main_passages.dict)
  AND m.term_rows = (SELECT count(*) FROM fts_main_passages.terms)"""
_RUN_IN_PROGRESS = "SELECT count(*) > 0 FROM runs WHERE status = 'running'"
_INDEX_STOPWORDS = "SELECT coalesce(list(DISTINCT sw ORDER BY sw), []) FROM fts_main_passages.stopwords"
_INDEX_TOKENIZER = """
SELECT macro_definition FROM duckdb_functions()
WHERE schema_name = 'fts_main_passages' AND function_name = 'tokenize'"""
_RANK_FAST = """
WITH stats AS (SELECT num_docs, avgdl FROM fts_main_passages.stats),
q AS (SELECT termid, df FROM fts_main_passages.dict WHERE termid = ANY($termids::BIGINT[])),
scored AS (
    SELECT p.docid,
           round(sum(log((stats.num_docs - q.df + 0.5) / (q.df + 0.5) + 1) * p.tf * 2.2
                     / (p.tf + 1.2 * (0.25 + 0.75 * p.len / stats.avgdl))), 9) AS score
    FROM search_index.postings p
    JOIN q ON q.termid = p.termid
    CROSS JOIN stats
    WHERE p.termid = ANY($termids::BIGINT[]) {filters}
    GROUP BY p.docid {having}
), cut AS (
    SELECT score FROM scored ORDER BY score DESC LIMIT 1 OFFSET $limit - 1
), top AS (
    SELECT docid, score FROM scored WHERE score >= coalesce((SELECT score FROM cut), 0)
)
SELECT d.passage_id, t.score
FROM top t JOIN search_index.docs d ON d.docid = t.docid
ORDER BY t.score DESC, d.passage_id
LIMIT $limit"""
_FAST_REVIEW_FILTER = f"""
      AND p.rid IN (SELECT k.rid FROM search_index.review_keys k JOIN reviews r ON r.review_id = k.review_id
                    WHERE {_FILTERS})"""
_FAST_THEME_FILTER = f"""
      AND p.docid IN (SELECT d.docid FROM search_index.docs d WHERE d.passage_id IN ({_TAGGED}))"""
_FAST_SECTION_FILTER = f"""
      AND p.docid IN (SELECT d.docid FROM search_index.docs d WHERE d.passage_id IN ({_IN_SECTION}))"""
_FAST_PHRASE_HAVING = "HAVING count(*) FILTER (WHERE p.termid = ANY($phrase_termids::BIGINT[])) = $phrase_terms"

# ---- How many passages (and reviews) match in all, counted only when more match than are shown: the passages
# holding any of the words (and every word of a quoted phrase, then the phrase as written), with the filters.
_COUNT_FAST = """
WITH matched AS (
    SELECT p.docid, any_value(p.rid) AS rid
    FROM search_index.postings p
    WHERE p.termid = ANY($termids::BIGINT[]) {filters}
    GROUP BY p.docid {having}
)
SELECT {select}
FROM matched m {phrases} {group}"""
_COUNT_FAST_PHRASES = """
JOIN search_index.docs d ON d.docid = m.docid
JOIN passages s ON s.passage_id = d.passage_id
WHERE {conditions}"""
_COUNT_BM25 = """
WITH scored AS (
    SELECT passage_id, review_id, section, text, fts_main_passages.match_bm25(passage_id, $query) AS score
    FROM passages
)
SELECT {select}
FROM scored s {joins}
WHERE s.score IS NOT NULL {filters} {group}"""
# ---- A theme and no words: the passages tagged with it, most probable first.
_RANK_THEME = f"""
SELECT t.passage_id, t.score
FROM passage_themes t
JOIN reviews r ON r.review_id = t.review_id
WHERE t.theme = $theme AND t.score >= coalesce($min_score, 0) AND {_FILTERS} {{section}}
ORDER BY t.score DESC, t.passage_id
LIMIT $limit"""
_THEME_SECTION_FILTER = f"AND t.passage_id IN ({_IN_SECTION})"
_COUNT_THEME = f"""
SELECT {{select}}
FROM passage_themes t
JOIN reviews r ON r.review_id = t.review_id
WHERE t.theme = $theme AND t.score >= coalesce($min_score, 0) AND {_FILTERS} {{section}} {{group}}"""
# What each count selects: the passages and their reviews in all, or the passages in each review (grouped by it).
# {review} is the review's column in the count's rows.
_TOTALS = {"select": "count(*), count(DISTINCT {review})", "group": ""}
_BY_REVIEW = {"select": "{review}, count(*)", "group": "GROUP BY 1"}


def _counting(by_review: bool, review: str) -> dict[str, str]:
    """The ``{select}`` and ``{group}`` of a count whose rows name their review in ``review``: in all (two
    numbers), or ``by_review`` (a row for each review, with its passages)."""
    return {key: value.format(review=review) for key, value in (_BY_REVIEW if by_review else _TOTALS).items()}

# ---- What a search leaves out ("neglect -police", 'NOT "social care"'): the docids of the passages holding any
# word left out, in any form (the postings of its stem), or any phrase or section left out, as written (checked only
# in the passages that hold all the phrase's indexed words, or one of the ways a section's number is written, and
# that the search could list: {within}, which holds any word searched or is tagged with the theme listed).
# {terms}: the search tables' postings (sorted by word: only the rows of these words are read) or, without
# them, the full-text index's own list of words.
_LEFT_OUT_WORDS = "SELECT docid FROM {terms} WHERE termid = ANY($left_out_termids::BIGINT[])"
# (also the passages that hold one of the phrases or sections offered as alternatives, with {within} empty)
_LEFT_OUT_PATTERN = """
SELECT d.docid FROM fts_main_passages.docs d JOIN passages s ON s.passage_id = d.name
WHERE d.docid IN (SELECT docid FROM {{terms}} WHERE termid = ANY(${name}_termids::BIGINT[])
                  GROUP BY docid HAVING count(DISTINCT termid) >= ${name}_least) {{within}}
  AND regexp_matches(coalesce(s.section, '') || chr(10) || s.text, ${name}, 'i')"""
_FAST_LEFT_OUT = """
      AND p.docid NOT IN ({left_out})"""
# ---- Words joined by AND ("neglect AND school"): the docids of the passages holding every one of them, in any form.
_ALL_WORDS = """
SELECT docid FROM {terms} WHERE termid = ANY($all_termids::BIGINT[])
GROUP BY docid HAVING count(DISTINCT termid) = $all_terms"""
_FAST_ALL_WORDS = """
      AND p.docid IN ({all_of})"""
# ---- Alternatives, in brackets or joined by OR ("(neglect OR abuse) AND school", '"seen alone" OR "spoken to
# alone"'): the docids of the passages holding one of the words in any form, or (_LEFT_OUT_PATTERN) one of the
# phrases or sections as written; {name} is the alternatives' own.
_ANY_WORDS = "SELECT docid FROM {{terms}} WHERE termid = ANY(${name}_termids::BIGINT[])"
_ALL_BY_ID = "AND {alias}.passage_id IN (SELECT name FROM fts_main_passages.docs WHERE docid IN ({all_of}))"
_FAST_WITHIN = "AND d.docid IN (SELECT docid FROM search_index.postings WHERE termid = ANY($termids::BIGINT[]))"
_THEME_WITHIN = f"AND d.name IN ({_TAGGED})"
_LEFT_OUT_BY_ID = "AND {alias}.passage_id NOT IN (SELECT name FROM fts_main_passages.docs WHERE docid IN ({left_out}))"

# ---- What is shown for each hit.
# (MATERIALIZED: look the few passages up by key first; joined straight away, DuckDB would scan them all.
# The facts of the passages' pages, read by OCR as in outputs.common.read_by_ocr_sql and printed numbers as
# in printed_pages_sql, come from one join: three subqueries a hit cost a quarter more time a search.)
_HIT_DETAILS = """
WITH p AS MATERIALIZED (SELECT * FROM passages WHERE passage_id IN (SELECT unnest($1::VARCHAR[])))
SELECT p.review_id, r.title, r.area, r.year, r.nation, r.review_type, p.page_start, p.page_end, p.section,
       p.passage_id, p.text,
       coalesce(bool_or(g.ocr) FILTER (WHERE g.page BETWEEN p.page_start AND p.page_end), false) AS ocr,
       max(g.printed) FILTER (WHERE g.page = p.page_start) AS printed_start,
       max(g.printed) FILTER (WHERE g.page = p.page_end) AS printed_end,
       p.headings, p.seq
FROM p
JOIN reviews r ON r.review_id = p.review_id
LEFT JOIN pages g ON g.review_id = p.review_id
GROUP BY ALL"""
_HIT_EVIDENCE = """
SELECT passage_id, first(text ORDER BY score DESC NULLS LAST, rank) AS evidence
FROM theme_evidence
WHERE theme = $2 AND passage_id IN (SELECT unnest($1::VARCHAR[]))
GROUP BY passage_id"""
_HIT_THEMES = """
SELECT passage_id, theme, score, model_version FROM passage_themes
WHERE passage_id IN (SELECT unnest($1::VARCHAR[]))
ORDER BY score DESC, theme"""

# ----------------------------------------------------------------------------------- similar

_HIT_COLUMNS = """
    p.review_id, r.title, r.area, r.year, r.nation, r.review_type, p.page_start, p.page_end, p.section,
    p.passage_id, p.text"""
_HAS_EMBEDDINGS = """
SELECT count(*) > 0 FROM passage_embeddings e JOIN passages p ON p.passage_id = e.passage_id"""
# (an id typed in another case is that passage's or review's: ids are lower case)
_IS_PASSAGE = "SELECT min(passage_id) FROM passages WHERE lower(passage_id) = lower($1)"
_IS_REVIEW = "SELECT min(review_id) FROM reviews WHERE lower(review_id) = lower($1)"
_ABOUT_PASSAGE = """
SELECT r.title, p.review_id, p.page_start, p.page_end, p.text FROM passages p JOIN reviews r USING (review_id)
WHERE p.passage_id = $1"""
_ABOUT_REVIEW = "SELECT title FROM reviews WHERE review_id = $1"
_REVIEW_IDS = "SELECT review_id FROM reviews ORDER BY review_id"
_PASSAGES_IN_REVIEW = "SELECT count(*) FROM passages WHERE review_id = $1"
PAGE_ORDER_NEEDS_REVIEW = ("page order lists the passages found in one review as it is read: name the review with "
                           "--review (its id, or words of its title); across reviews, results come best first")
# The model with the most current passages embedded, among those that embedded the wanted passage/review.
_MODEL_FOR = """
SELECT e.model FROM passage_embeddings e JOIN passages p ON p.passage_id = e.passage_id
WHERE e.model IN (SELECT e2.model FROM passage_embeddings e2 JOIN passages p2 ON p2.passage_id = e2.passage_id
                  WHERE p2.passage_id = $1 OR p2.review_id = $1)
GROUP BY e.model ORDER BY count(*) DESC, e.model LIMIT 1"""
_SIMILAR_PASSAGES = f"""
WITH target AS (SELECT vector FROM passage_embeddings WHERE passage_id = $id AND model = $model),
nearest AS (
    SELECT {_HIT_COLUMNS}, list_cosine_similarity(e.vector, (SELECT vector FROM target)) AS similarity
    FROM passage_embeddings e
    JOIN passages p ON p.passage_id = e.passage_id
    JOIN reviews r ON r.review_id = p.review_id
    WHERE e.model = $model AND e.passage_id <> $id
      AND (NOT $other_reviews OR p.review_id <> (SELECT review_id FROM passages WHERE passage_id = $id))
    ORDER BY similarity DESC NULLS LAST, p.passage_id
    LIMIT $limit)
SELECT *, {printed_pages_sql("nearest")} FROM nearest ORDER BY similarity DESC NULLS LAST, passage_id"""
# A review's vector is the mean of its passages' vectors (position by position).
_SIMILAR_REVIEWS = """
WITH vals AS (
    SELECT p.review_id, generate_subscripts(e.vector, 1) AS i, unnest(e.vector) AS x
    FROM passage_embeddings e JOIN passages p ON p.passage_id = e.passage_id
    WHERE e.model = $model
), means AS (
    SELECT review_id, list(x ORDER BY i) AS vector
    FROM (SELECT review_id, i, avg(x)::FLOAT AS x FROM vals GROUP BY review_id, i)
    GROUP BY review_id
), counts AS (
    SELECT review_id, count(*) AS passages FROM passages GROUP BY review_id
)
SELECT r.review_id, r.title, r.area, r.year, r.nation, r.review_type, c.passages,
       list_cosine_similarity(m.vector, t.vector) AS similarity
FROM means m
JOIN means t ON t.review_id = $id
JOIN reviews r ON r.review_id = m.review_id
LEFT JOIN counts c ON c.review_id = m.review_id
WHERE m.review_id <> $id
ORDER BY similarity DESC NULLS LAST, r.review_id
LIMIT $limit"""


@dataclass
class SearchHit:
    """One passage found by ``search``.

    Attributes
    ----------
    review_id, title, area, year, nation, review_type
        The review the passage comes from.
    page_start, page_end, section
        Where the passage is in the review (pages from 1; section heading or None).
    passage_id, text
        The passage and its full text.
    ocr : bool
        Whether a page of the passage was read by OCR (it had no usable text layer): its words may be misread.
    snippet : str
        A window of the passage around the matched words, each matched word marked as ``**word**`` (for a
        theme listing: the best evidence sentence, or the start of the passage).
    highlights : list of (int, int)
        Start and end offsets of the matched words in ``snippet_text`` (the snippet without markers).
    snippet_text : str
        The snippet without markers.
    score : float
        Ranking score; ``score_kind`` says which: 'bm25' or 'theme_probability'.
    score_kind : str
    themes : dict
        Theme id -> the model's probability (0-1) that the passage carries it.
    theme_model : str or None
        Version of the theme model that gave ``themes``.
    evidence : str or None
        For a theme listing, the evidence sentence the model picked.
    printed_start, printed_end : int or None
        The numbers the document prints on the passage's first and last pages, where known (they differ from
        the PDF's page numbers when unnumbered pages come first).
    headings : list of str or None
        The headings the passage is under, outermost first, ``section`` last (None: not recorded).
    seq : int or None
        The passage's place in its review (0 for the first): the order of reading it.
    """

    review_id: str
    title: str | None
    area: str | None
    year: int | None
    nation: str | None
    review_type: str | None
    page_start: int | None
    page_end: int | None
    section: str | None
    passage_id: str
    text: str
    score: float
    score_kind: str
    snippet_text: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)
    themes: dict[str, float] = field(default_factory=dict)
    theme_model: str | None = None
    evidence: str | None = None
    printed_start: int | None = None
    printed_end: int | None = None
    ocr: bool = False
    # where the words searched for are in ``section`` (a passage is found by its heading's words too)
    section_highlights: list[tuple[int, int]] = field(default_factory=list)
    headings: list[str] | None = None
    seq: int | None = None

    @property
    def snippet(self) -> str:
        """The snippet with matched words as ``**word**``."""
        return self.render_snippet("**", "**")

    @property
    def snippet_html(self) -> str:
        """The snippet as HTML-escaped text with matched words in ``<mark>``."""
        return self.render_snippet("<mark>", "</mark>", escape=html.escape)

    def render_snippet(self, before: str, after: str, escape=None) -> str:
        """The snippet with ``before``/``after`` around each matched word (e.g. ANSI codes for a terminal)."""
        return _marked(self.snippet_text, self.highlights, before, after, escape)

    def render_section(self, before: str, after: str, escape=None) -> str:
        """The section heading with ``before``/``after`` around each word searched for ("" without one), after
        the headings it is under (``headings_above``)."""
        marked = _marked(self.section or "", self.section_highlights, before, after, escape)
        above = headings_above(self.headings, self.section)
        return (escape or str)(above + TRAIL_MARK) + marked if above and marked else marked

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every attribute plus ``snippet`` and ``snippet_html``."""
        record = asdict(self)
        record["highlights"] = [list(pair) for pair in self.highlights]
        record["section_highlights"] = [list(pair) for pair in self.section_highlights]
        record["snippet"] = self.snippet
        record["snippet_html"] = self.snippet_html
        return record


@dataclass
class SimilarHit:
    """A passage or review found by ``similar``.

    Attributes
    ----------
    kind : str
        'passage' or 'review'.
    review_id, title, area, year, nation, review_type
        The review (for a passage: the review it belongs to).
    similarity : float
        Cosine similarity of the embeddings (1 = same meaning; about 0 = unrelated); not a probability.
    model : str
        The embedding model.
    passage_id, page_start, page_end, section, text, snippet
        For a passage (None for a review).
    passages : int or None
        For a review, how many passages it has.
    printed_start, printed_end : int or None
        For a passage, the numbers printed on its first and last pages, where known.
    """

    kind: str
    review_id: str
    title: str | None
    area: str | None
    year: int | None
    nation: str | None
    review_type: str | None
    similarity: float
    model: str
    passage_id: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    section: str | None = None
    text: str | None = None
    snippet: str | None = None
    passages: int | None = None
    printed_start: int | None = None
    printed_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every attribute."""
        return asdict(self)


_HYPHENATED = re.compile(r"\b\w+(?:-\w+)+\b")


@dataclass(frozen=True)
class MissingWord:
    """A word of a search that no passage of the database uses, in any form.

    Attributes
    ----------
    word : str
        As typed (lower case).
    suggestions : tuple of str
        Words spelt like it that the passages do use, closest first (at most three).
    """

    word: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """What ``search_with_forms`` found: the hits, the other forms it also searched, the words found nowhere."""

    hits: list[SearchHit]
    also: tuple[str, ...] = ()
    missing: tuple[MissingWord, ...] = ()
    more: bool = False  # more passages match than the limit let through
    unindexed: int = 0  # passages the words were not searched in: the index does not hold them yet
    total: int | None = None  # passages that match in all (``Searcher.count``); None: not counted
    total_reviews: int | None = None  # the reviews they are in
    # when words and a theme found nothing: the passages the theme and filters alone keep (the words ruled them out)
    without_words: int | None = None
    # when a search with a phrase in quotes found nothing: the passages holding any of its words without the quotes
    without_quotes: int | None = None
    # ... and, for a search of phrases alone, those holding all their words apart, with that search (words and AND)
    words_apart: tuple[str, int] | None = None
    # the words with a hyphen of a search that found passages (by their parts) which no passage holds whole
    not_whole: tuple[str, ...] = ()
    # when the words are, or nearly are, a learning theme's name (and that theme is not already asked for): (its id,
    # passages it tags that the filters keep); found or not, the words find passages that use any one of them
    like_theme: tuple[str, int] | None = None
    # with ``by_review``: every review the search finds passages in, most passages first, and how many reviews
    # read the filters keep (what those reviews are out of)
    by_review: tuple[ReviewFound, ...] | None = None
    reviews_read: int | None = None
    # with ``by_review``: for each year of the reviews read that the filters keep, (reviews with passages found,
    # reviews read), years in order (reviews of no year are counted in reviews_read only)
    by_year: tuple[tuple[int, int, int], ...] = ()
    # when nothing was found with review filters: (how many reviews read they keep, the first and last year of all
    # the reviews read), to say when it is the filters that keep nothing
    reviews_kept: tuple[int, int | None, int | None] | None = None
    # when words of the search are found nowhere and the passages found hold only numbers of it ("1" of
    # "<script>alert(1)</script>"): those numbers, which numbered paragraphs and dates match whatever the subject
    numbers_only: tuple[str, ...] = ()
    # (id, title) of the one review the review filter names, to say which it is ("Child W", not only its id)
    review: tuple[str, str | None] | None = None
    # when unquoted words with a hyphen found passages by their parts ("post-reunification": any passage using
    # "post" or "reunification"): (the search with those words in double quotes, passages it finds), when fewer
    as_phrase: tuple[str, int] | None = None


def nothing_kept_note(result: SearchResult) -> str:
    """When the review filters keep no review read, that, with the years of the reviews read; "" otherwise.

    >>> nothing_kept_note(SearchResult([], reviews_kept=(0, 2014, 2025)))
    'the filters keep none of the reviews read, which are from 2014 to 2025'
    >>> nothing_kept_note(SearchResult([], reviews_kept=(3, 2014, 2025))), nothing_kept_note(SearchResult([]))
    ('', '')
    """
    if result.reviews_kept is None or result.reviews_kept[0]:
        return ""
    _, first, last = result.reviews_kept
    years = (f", which are from {first}" + (f" to {last}" if last != first else "")) if first is not None else ""
    return f"the filters keep none of the reviews read{years}"


@dataclass(frozen=True)
class ReviewFound:
    """A review a search finds passages in: its details, how many passages it found there (``passages_found``),
    and how many passages the review has in all (``review_passages``)."""

    review_id: str
    title: str | None
    area: str | None
    nation: str | None
    review_type: str | None
    year: int | None
    passages_found: int
    review_passages: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_REVIEWS_FOUND = """
SELECT r.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       (SELECT count(*) FROM passages p WHERE p.review_id = r.review_id) AS review_passages
FROM reviews r WHERE r.review_id = ANY($ids::VARCHAR[])"""
_KEPT_READ = f"SELECT count(*) FROM reviews r WHERE {READ_REVIEW_SQL} AND {_FILTERS}"
_YEARS_READ = f"SELECT min(r.year), max(r.year) FROM reviews r WHERE {READ_REVIEW_SQL}"
_REVIEWS_READ = f"""
SELECT r.year, count(*) FROM reviews r WHERE {READ_REVIEW_SQL} AND {_FILTERS}
GROUP BY r.year ORDER BY r.year"""


# --------------------------------------------------------------------------- search


def search(
    db_path: Path | str | None,
    query: str | None,
    *,
    theme: str | None = None,
    min_score: float | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    nation: str | None = None,
    review_type: str | None = None,
    area: str | None = None,
    review: str | None = None,
    section: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Find passages by words and filters, best first.

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    query : str or None
        Words to look for (stemmed, so 'sharing' also finds 'shared'); put a phrase in double quotes to
        require it as written. None or empty to list a theme's passages (``theme`` is then required).
    theme : str, optional
        Keep passages tagged with this theme (an id such as ``voice_of_child``, or its name).
    min_score : float, optional
        Keep passages whose theme probability (for ``theme``, or any theme) is at least this (0-1).
    year_from, year_to : int, optional
        Keep reviews from these years (inclusive).
    nation, review_type : str, optional
        Keep reviews of this nation / type (case-insensitive, exact).
    area : str, optional
        Keep reviews whose area contains this text (case-insensitive).
    review : str, optional
        Keep one review: its id, or words found in its title alone ("Child H").
    section : str, optional
        Keep passages under a heading that contains this text (case-insensitive): "recommendations".
    limit : int
        At most this many hits (1-1000).

    Returns
    -------
    list of SearchHit
        Ranked by BM25 when there are words (``score_kind`` 'bm25'), else by the theme's probability.

    Raises
    ------
    CaseReviewError
        For a query with nothing to search for, unbalanced quotes, an unknown theme, a filter value no
        review has, a section no heading contains, a bad year range or probability, or a database without a
        search index.

    Examples
    --------
    These need a database made by ``casereview run``.

    >>> hits = search(None, "information sharing", nation="Wales", year_from=2018)  # doctest: +SKIP
    >>> hits = search(None, None, theme="voice_of_child", min_score=0.8)  # doctest: +SKIP
    """
    return search_with_forms(db_path, query, theme=theme, min_score=min_score, year_from=year_from,
                             year_to=year_to, nation=nation, review_type=review_type, area=area, review=review,
                             section=section, limit=limit).hits


def search_with_forms(db_path: Path | str | None, query: str | None, *, refresh: bool = True,
                      by_review: bool = False, **options: Any) -> SearchResult:
    """``search`` (same parameters), with what people should be told about it: the other forms it also looked
    for (the other way of writing a statutory section, "section 47" for "s47"; the other way the reviews
    join a compound, "co-sleeping" for "cosleeping"; the abbreviations the reviews define for long forms in
    the query, "MARAC"), and the words of the query that no passage uses, with spellings that passages do
    use ("safeguarding" for "safegaurding"); and how many passages, in how many reviews, match in all.
    ``offset`` (an option as for ``Searcher.search``) gives a later page of the results. ``by_review`` also
    counts the passages found in each review (``SearchResult.by_review``; found or not, every match is counted).

    With ``refresh`` (the default) a search first upgrades an older database and rebuilds a stale search index
    or tables; without it, it only reads (``casereview serve`` does both once, with :func:`prepare_for_reading`,
    before it answers anyone)."""
    con = open_database(db_path, upgrade=refresh)
    try:
        wanted = _refresh_wanted(con) if refresh and query and query.strip() else None
        if wanted:
            con.close()
            _refresh_in(resolve_db(db_path), rebuild_index=wanted == "index")
            con = open_database(db_path)
        searcher = Searcher(con)
        parsed = searcher.parse(query)
        limit, offset = options.get("limit", 20), options.get("offset", 0)
        filters = {key: value for key, value in options.items() if key not in _NOT_FILTERS}  # what the counts take
        _check_numbers(None, None, None, limit)  # the limit people may ask for; the search itself takes one more
        # one passage more than asked for says whether more match, without counting them all
        hits = searcher.search(parsed, **{**options, "limit": limit + 1})
        more, hits = len(hits) > limit, hits[:limit]
        if more or offset:  # counted only then: a count reads every match; otherwise all of them are here
            total, total_reviews = searcher.count(parsed, **filters)
        else:
            total, total_reviews = len(hits), len({hit.review_id for hit in hits})
        counts = {"total": total, "total_reviews": total_reviews}
        if parsed is not None:
            if not hits and options.get("theme"):
                counts["without_words"] = searcher.count(None, **filters)[0]
            unquoted = without_quotes(query) if not hits else ""
            if unquoted:
                try:
                    counts["without_quotes"] = searcher.count(unquoted, **filters)[0]
                except CaseReviewError:  # the words unquoted are no search ('"OR AND"'): no such hint
                    pass
                apart = _words_apart(query)
                try:
                    counts["words_apart"] = (apart, searcher.count(apart, **filters)[0]) if apart else None
                except CaseReviewError:
                    pass
            # words that name a theme find any passage using one of them: the theme itself may be what was meant.
            # With passages found, only when that is so: unquoted words, for a name of several words ("risk
            # assessment" finds what it asks for, and is no misreading of the theme Assessment).
            names = theme_names(con)
            like = theme_like(query if parsed.kept_text is None else parsed.kept_text, names)
            if like and hits and ('"' in straight_quotes(query or "") or len(name_words(names.get(like, like))) < 2):
                like = None
            if like and like != searcher._theme(filters.get("theme")):
                counts["like_theme"] = (like, searcher.count(None, **{**filters, "theme": like})[0])
            phrased = _hyphens_quoted(query) if hits and not offset else None
            if phrased:
                try:
                    found = searcher.count(phrased, **filters)[0]
                except CaseReviewError:
                    found = 0
                if 0 < found < counts["total"]:
                    counts["as_phrase"] = (phrased, found)
                counts["not_whole"] = _not_whole(searcher, query, filters)
        if by_review:
            counts |= _reviews_found(con, searcher, parsed, filters)
        if not hits and not offset and any(filters.get(key) is not None for key in REVIEW_FILTER_KEYS):
            kept = searcher._known.review_filters(*(filters.get(key) for key in REVIEW_FILTER_KEYS))
            counts["reviews_kept"] = (con.execute(_KEPT_READ, kept).fetchone()[0], *con.execute(_YEARS_READ).fetchone())
        if filters.get("review") is not None:
            counts["review"] = searcher._known.named_review(filters["review"])
        if parsed is None:
            return SearchResult(hits, more=more, **counts)
        missing = searcher.missing_words(parsed)
        if missing and hits:
            counts["numbers_only"] = searcher.numbers_only(parsed, missing)
        return SearchResult(hits, parsed.also, missing, more, unindexed_passages(con)[0], **counts)
    finally:
        con.close()


_NOT_FILTERS = ("limit", "offset", "page_order")  # options of a search that do not change what it finds


def check_filters(db_path: Path | str | None, *, refresh: bool = True, **filters: Any) -> None:
    """Check a search's filters (``theme``, ``min_score``, ``section`` and the review filters, as ``search`` takes
    them, and ``limit``; ``words``: that the search index is there) against the database without searching: a
    ``CaseReviewError`` names what cannot be used, so that a set of searches run with the same filters is told
    once, and not blamed on its first search."""
    con = open_database(db_path, upgrade=refresh)
    try:
        words = filters.pop("words", False)
        rebuilt = words and refresh and _refresh_wanted(con) is not None  # the first search builds the index
        Searcher(con).check_filters(**filters, words=words and not rebuilt)
    finally:
        con.close()


def _reviews_found(con: duckdb.DuckDBPyConnection, searcher: Searcher, parsed: ParsedQuery | None,
                   filters: dict[str, Any]) -> dict[str, Any]:
    """``SearchResult.by_review``, ``reviews_read`` and ``by_year`` for a search with these filters."""
    counted_ = searcher.count_by_review(parsed, **filters)
    cursor = con.execute(_REVIEWS_FOUND, {"ids": [review_id for review_id, _ in counted_]})
    names = [column[0] for column in cursor.description]
    details = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    found = tuple(ReviewFound(**{**details[review_id], "passages_found": passages}) for review_id, passages in counted_)
    review_filters = searcher._known.review_filters(*(filters.get(key) for key in REVIEW_FILTER_KEYS))
    read = dict(con.execute(_REVIEWS_READ, review_filters).fetchall())
    with_passages = Counter(review.year for review in found)
    by_year = tuple((year, with_passages[year], count) for year, count in read.items() if year is not None)
    return {"by_review": found, "reviews_read": sum(read.values()), "by_year": by_year}


def unindexed_note(unindexed: int) -> str:
    """What to say when the words were not searched in some passages, because the index does not hold them yet
    ("" when it holds them all).

    >>> unindexed_note(7)[:72]
    'Note: 7 passages read by a run that is still going, or that was stopped,'
    """
    if not unindexed:
        return ""
    one = unindexed == 1
    return (f"Note: {counted(unindexed, 'passage')} read by a run that is still going, or that was stopped, "
            f"{'is' if one else 'are'} not in the search index yet, so these words were not looked for in "
            f"{'it' if one else 'them'} (a search by theme alone includes {'it' if one else 'them'}). The index "
            "is rebuilt when the run ends; if no run is going on, start `casereview run` again, which finishes "
            "the job.")


def total_note(result: SearchResult, query: str | None) -> str:
    """How many passages match in all, and in how many reviews, when more match than are shown ("" otherwise).

    >>> total_note(SearchResult([], more=True, total=503, total_reviews=19), "school")
    'In all, 503 passages in 19 reviews match.'
    """
    if not result.more or result.total is None:
        return ""
    note = f"In all, {counted(result.total, 'passage')} in {counted(result.total_reviews or 0, 'review')} match"
    return note + how_they_match(query, result.also) + "."


def _words_apart(query: str | None) -> str:
    """For a search of phrases alone ('"information not shared with the school"'): their words, each required,
    very common ones left out ("information AND not AND shared AND school"), for a phrase that finds nothing;
    "" for any other search (its own words and operators say what a passage needs).

    >>> _words_apart('"information not shared with the school"'), _words_apart('"seen alone" school')
    ('information AND not AND shared AND school', '')
    """
    from pipeline.store import SEARCH_STOPWORDS

    plain = straight_quotes(query or "").strip()
    phrases = re.findall(r'"([^"]*)"', plain)
    if not phrases or re.sub(r'"[^"]*"', " ", plain).strip():
        return ""
    words = [word for phrase in phrases for word in WORD_RE.findall(phrase) if fold(word) not in SEARCH_STOPWORDS]
    return " AND ".join(dict.fromkeys(words)) if len(words) > 1 else ""


def no_hits_hints(query: str | None, result: SearchResult, names: Mapping[str, str]
                  ) -> list[tuple[str, dict[str, str]]]:
    """For a search that found nothing: how many passages hold the words of its phrase without the quotes, and
    the learning theme its words name. Each hint comes with the search to try instead, as the changes to make to
    this one: its words ``q`` (empty: none) and ``theme``.

    >>> found = SearchResult([], without_quotes=424, like_theme=("voice_of_child", 129))
    >>> for hint, changes in no_hits_hints('"voice of the child"', found, {"voice_of_child": "Voice of the child"}):
    ...     print(hint.replace(", which", ",\\n which"), changes)
    Without the quotes, 424 passages hold its words (any one of them) {'q': 'voice of the child'}
    "voice of the child" is close to the name of the learning theme Voice of the child,
     which tags 129 passages {'q': '', 'theme': 'voice_of_child'}
    """
    hints = []
    if result.words_apart and result.words_apart[1]:
        apart, found = result.words_apart
        hints.append((f"Without the quotes, {counted(found, 'passage')} {'holds' if found == 1 else 'hold'} all its "
                      "words, apart", {"q": apart}))
    elif result.without_quotes:
        hints.append((f"Without the quotes, {counted(result.without_quotes, 'passage')} "
                      f"{'holds' if result.without_quotes == 1 else 'hold'} its words (any one of them)",
                      {"q": without_quotes(query)}))
    if result.like_theme and result.like_theme[1]:
        theme, tagged = result.like_theme
        hints.append((f"{quoted_search((query or '').strip())} is close to the name of the learning theme "
                      f"{names.get(theme, theme)}, which tags {counted(tagged, 'passage')}", {"q": "", "theme": theme}))
    return hints


def _hyphens_quoted(query: str | None) -> str | None:
    """``query`` with its words written with a hyphen in double quotes, to find them as written; None when it
    has none, or already has quotes (the person chose what to quote).

    >>> _hyphens_quoted("neglect post-reunification -police"), _hyphens_quoted('"co-sleeping" risk')
    ('neglect "post-reunification" -police', None)
    """
    if not query or '"' in straight_quotes(query) or not _HYPHENATED.search(query):
        return None
    return _HYPHENATED.sub(lambda match: f'"{match.group(0)}"', query)


def phrase_hint(result: SearchResult) -> tuple[str, dict[str, str]] | None:
    """For a search whose words with a hyphen found passages by their parts, any one of which will do: that,
    with the search in double quotes to try instead (the changes to make, as for ``no_hits_hints``); else None.

    >>> phrase_hint(SearchResult([], as_phrase=('"post-reunification"', 12)))[0][:64]
    'A word with a hyphen is searched as its parts, any one of which '
    """
    if result.as_phrase is None or not result.as_phrase[1]:
        return None
    phrased, found = result.as_phrase
    it = "it" if phrased.count('"') == 2 else "them"
    return (f"A word with a hyphen is searched as its parts, any one of which will do; in double quotes, "
            f"{phrased} finds the {counted(found, 'passage')} holding {it} whole", {"q": phrased})


def _not_whole(searcher: Searcher, query: str | None, filters: Mapping[str, Any]) -> tuple[str, ...]:
    """The words written with a hyphen in ``query`` (unquoted, not left out) that no passage the filters keep holds
    whole, each counted on its own ("co-sleeping" in "co-sleeping -parents"); () when a count fails."""
    quoted = _hyphens_quoted(query)
    if not quoted:
        return ()
    words = [word for word in re.findall(r'(?<![-\w])"(\w+(?:-\w+)+)"', quoted)]
    missing = []
    try:
        for word in dict.fromkeys(words):
            if not searcher.count(f'"{word}"', **filters)[0]:
                missing.append(word)
    except CaseReviewError:
        return ()
    return tuple(missing)


def parts_only_note(result: SearchResult) -> str:
    """For a search whose words with a hyphen no passage holds whole ("co-sleeping"), though passages hold their
    parts: that, as a sentence, since what was found may be about something else ("sleeping"); "" otherwise,
    and when the word was found written as one ("cosleeping", among the forms also searched).

    >>> parts_only_note(SearchResult([], not_whole=("co-sleeping",)))[:72]
    'Note: no passage holds "co-sleeping" whole (with its hyphen or a space):'
    >>> parts_only_note(SearchResult([], ("cosleeping",), not_whole=("co-sleeping",)))
    ''
    """
    joined = {fold(form).replace(" ", "").replace("-", "") for form in result.also}
    wholes = [word for word in result.not_whole if fold(word).replace("-", "") not in joined]
    if not wholes:
        return ""
    named = " and ".join(f'"{whole}"' for whole in wholes)
    them = "them" if len(wholes) > 1 else "it"
    return (f"Note: no passage holds {named} whole (with its hyphen or a space): the passages found hold only parts "
            f"of {them}, any one of which will do, so they may be about something else.")


def theme_hint(result: SearchResult, names: Mapping[str, str]) -> tuple[str, dict[str, str]] | None:
    """For a search that found passages by words that are a learning theme's name (each passage found holds any
    one of them: "voice", "child"): the theme, as a question, with the search to try instead (the changes to make
    to this one, as for ``no_hits_hints``); None when the words name no theme, or it tags none of the passages
    the filters keep.

    >>> theme_hint(SearchResult([], like_theme=("voice_of_child", 129)), {"voice_of_child": "Voice of the child"})
    ('Looking for the learning theme Voice of the child? It tags 129 passages', {'q': '', 'theme': 'voice_of_child'})
    """
    if not (result.like_theme and result.like_theme[1]):
        return None
    theme, tagged = result.like_theme
    return (f"Looking for the learning theme {names.get(theme, theme)}? It tags {counted(tagged, 'passage')}",
            {"q": "", "theme": theme})


def missing_note(missing: tuple[MissingWord, ...] | list[MissingWord], numbers_only: Sequence[str] = ()) -> str:
    """One line naming the words of a search that no passage uses, with spellings the passages do use ("" when
    there are none), and, when the passages found hold only numbers of the search (``numbers_only``), that.

    >>> missing_note((MissingWord("safegaurding", ("safeguarding",)),))
    'No passage in the database uses this word, in any form: "safegaurding" (did you mean "safeguarding"?).'
    >>> missing_note((MissingWord("alert"),), ("1",))  # doctest: +NORMALIZE_WHITESPACE
    'No passage in the database uses this word, in any form: "alert". The passages found hold only the number "1"
    of the search, which numbered paragraphs and dates hold too: they may have nothing to do with its subject.'
    """
    if not missing:
        return ""
    parts = []
    for word in missing:
        part = f'"{word.word}"'
        if word.suggestions:
            part += " (did you mean " + " or ".join(f'"{s}"' for s in word.suggestions) + "?)"
        parts.append(part)
    which = "this word" if len(parts) == 1 else "these words"
    note = f"No passage in the database uses {which}, in any form: {', '.join(parts)}."
    if numbers_only:
        numbers = " and ".join(f'"{number}"' for number in numbers_only)
        note += (f" The passages found hold only the number{'s' if len(numbers_only) > 1 else ''} {numbers} of the "
                 "search, which numbered paragraphs and dates hold too: they may have nothing to do with its subject.")
    return note


def search_connection(con: duckdb.DuckDBPyConnection, query: str | None, **options: Any) -> list[SearchHit]:
    """``search`` on a connection that is already open (full-text search loaded).

    Parameters and result as for ``Searcher.search``. For many searches on one connection, make one
    ``Searcher`` and call its ``search`` method: it looks up what it needs about the database only once.
    """
    return Searcher(con).search(query, **options)


class Searcher:
    """Runs searches on one open read-only connection, looking facts about the database up only once.

    The connection must stay open (and so the database unchanged: a read-only connection keeps writers
    out) for the life of the searcher.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        From ``pipeline.outputs.common.open_database``.

    Examples
    --------
    These need a database made by ``casereview run``.

    >>> searcher = Searcher(open_database(None))  # doctest: +SKIP
    >>> hits = searcher.search("strategy meeting", nation="Wales")  # doctest: +SKIP
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._known = KnownValues(con)
        self._themes: dict[str, str] = {}
        self._fts_checked = False
        self._fresh: bool | None = None
        self._abbreviations: list[tuple[str, tuple[str, ...]]] | None = None

    def search(
        self,
        query: str | ParsedQuery | None,
        *,
        theme: str | None = None,
        min_score: float | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        nation: str | None = None,
        review_type: str | None = None,
        area: str | None = None,
        review: str | None = None,
        section: str | None = None,
        limit: int = 20,
        offset: int = 0,
        use_search_tables: bool | None = None,
        page_order: bool = False,
    ) -> list[SearchHit]:
        """Find passages by words and filters, best first: see ``search`` for the parameters.

        ``page_order``: in one review (``review``), list the passages found in the order of its pages, as it
        is read, instead of best first (``offset`` and ``limit`` then count in that order).

        ``offset``: leave out that many of the best first (a later page of results: ``limit`` hits from the
        ``offset + 1``-th). ``use_search_tables``: None (default) ranks with the search tables when they are up
        to date, and with DuckDB's ``match_bm25`` otherwise; True or False forces one way (both give the same
        scores; True needs up-to-date tables). ``query`` may be what ``parse`` returned, so it is not parsed
        twice.
        """
        parsed = query if isinstance(query, ParsedQuery) else self.parse(query)
        if parsed is None and theme is None:
            raise CaseReviewError(
                "nothing to search for: give some words (e.g. casereview search \"information sharing\") "
                "or a theme (e.g. casereview search --theme voice_of_child)"
            )
        if parsed is not None and not parsed.words and theme is None:
            raise CaseReviewError(
                f"the search {parsed.text!r} only leaves passages out: give words to look for as well (e.g. "
                "\"neglect -police\"), or a theme to list its passages without those"
            )
        _check_numbers(min_score, year_from, year_to, limit, most=MAX_LIMIT + 1)  # + 1: see search_with_forms
        if not 0 <= offset <= MAX_OFFSET:
            raise CaseReviewError(f"a page of results must start between 1 and {MAX_OFFSET + 1} (got {offset + 1})")
        if page_order and review is None:
            raise CaseReviewError(PAGE_ORDER_NEEDS_REVIEW)
        params = self._params(theme, min_score, year_from, year_to, nation, review_type, area, review, section, parsed)
        params["limit"] = offset + limit
        shown = slice(offset, offset + limit)
        if page_order:  # every passage found in the review is ranked, then put in page order
            params["limit"] = max(1, self.con.execute(_PASSAGES_IN_REVIEW, [params["review"]]).fetchone()[0])
            offset = 0
        con = self.con
        if parsed is None or not parsed.words:
            sql = _RANK_THEME.format(section=self._theme_filters(params))
            ranked = con.execute(sql, _used(params, sql)).fetchall()
            hits = _hits(con, ranked[offset:], "theme_probability", params["theme"])
            stems: set[str] = set()
        else:
            self._check_index()
            words = _word_info(con, parsed)
            stems = {info.stem for info in words.values() if not info.common}  # common words are not marked
            fast = use_search_tables or (use_search_tables is None and self._tables_fresh())
            hits = self._ranked_hits(parsed, words, params, fast, offset)
        if page_order:
            hits = sorted(hits, key=lambda hit: (hit.seq is None, hit.seq or 0))[shown]
        _add_themes(con, hits)
        _add_snippets(con, hits, stems, parsed.marked if parsed else ())
        return hits

    def count(
        self,
        query: str | ParsedQuery | None,
        *,
        theme: str | None = None,
        min_score: float | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        nation: str | None = None,
        review_type: str | None = None,
        area: str | None = None,
        review: str | None = None,
        section: str | None = None,
    ) -> tuple[int, int]:
        """How many passages ``search`` would find with no limit, and in how many reviews: the passages holding
        any of the words (every quoted phrase as written), or tagged with the theme, that the filters keep."""
        rows = self._counted(query, False, theme=theme, min_score=min_score, year_from=year_from, year_to=year_to,
                             nation=nation, review_type=review_type, area=area, review=review, section=section)
        passages, reviews = rows[0] if rows else (0, 0)
        return passages, reviews

    def count_by_review(self, query: str | ParsedQuery | None, **filters: Any) -> list[tuple[str, int]]:
        """The reviews ``search`` would find passages in with no limit (the same filters as ``count``), each with
        how many: (review id, passages), most passages first, then by review id."""
        rows = self._counted(query, True, **filters)
        return sorted(((review_id, passages) for review_id, passages in rows), key=lambda row: (-row[1], row[0]))

    def _counted(self, query: str | ParsedQuery | None, by_review: bool, *, theme: str | None = None,
                 min_score: float | None = None, year_from: int | None = None, year_to: int | None = None,
                 nation: str | None = None, review_type: str | None = None, area: str | None = None,
                 review: str | None = None, section: str | None = None) -> list[tuple]:
        """The rows of a count (``_counting``): one row of totals, or one row per review ``by_review``."""
        parsed = query if isinstance(query, ParsedQuery) else self.parse(query)
        if theme is None and (parsed is None or not parsed.words):
            return []
        params = self._params(theme, min_score, year_from, year_to, nation, review_type, area, review, section, parsed)
        if parsed is None or not parsed.words:
            sql = _COUNT_THEME.format(section=self._theme_filters(params), **_counting(by_review, "t.review_id"))
            return self.con.execute(sql, _used(params, sql)).fetchall()
        self._check_index()
        words = _word_info(self.con, parsed)
        if self._tables_fresh():
            return _count_fast(self.con, parsed, words, params, by_review)
        return _count_bm25(self.con, parsed, params, by_review)

    def check_filters(self, *, theme: str | None = None, min_score: float | None = None, year_from: int | None = None,
                      year_to: int | None = None, nation: str | None = None, review_type: str | None = None,
                      area: str | None = None, review: str | None = None, section: str | None = None,
                      limit: int = 1, words: bool = False) -> None:
        """Check the filters and ``limit`` as ``search`` does, and with ``words`` that the search index is there
        (see ``check_filters``)."""
        _check_numbers(min_score, year_from, year_to, limit)
        self._params(theme, min_score, year_from, year_to, nation, review_type, area, review, section)
        if words:
            self._check_index()

    def _params(self, theme: str | None, min_score: float | None, year_from: int | None, year_to: int | None,
                nation: str | None, review_type: str | None, area: str | None, review: str | None,
                section: str | None, parsed: ParsedQuery | None = None) -> dict[str, Any]:
        """The SQL parameters of the filters, checked against the values the database holds, of what the search
        leaves out (``_left_out``), and of the words it joins with AND (``all_termids``, and ``all_terms``, how
        many stems each passage must hold)."""
        params = {
            "theme": self._theme(theme),
            "min_score": min_score,
            "section": check_section(self.con, section),
            **self._known.review_filters(year_from, year_to, nation, review_type, area, review),
        }
        if parsed is not None and parsed.left_out:
            self._check_index()
            params.update(self._left_out(parsed))
        if parsed is not None and parsed.all_of:
            self._check_index()
            params.update(self._all_of(parsed))
        return params

    def _all_of(self, parsed: ParsedQuery) -> dict[str, Any]:
        """What the search joins with AND, as SQL parameters: ``all_of_sql``, the subqueries (``{terms}`` still
        to be named) of the docids of the passages that hold each thing joined, every one of which holds a
        passage found; and the values they read. The words joined on their own are one subquery, counting how
        many of their stems a passage holds (``all_termids``, ``all_terms``: a word no passage uses is still
        counted, so that no passage holds them all); each pair of brackets is another (``_ANY_WORDS`` and
        ``_LEFT_OUT_PATTERN``), holding nothing when no passage holds any of its words, phrases or sections."""
        alone = [fold(word) for word in parsed.all_words]
        brackets = [either for either in parsed.all_of if not either.is_word]
        folded = sorted({*alone, *(fold(word) for either in brackets for word in either.words),
                         *(word for either in brackets for _, words, _ in either.patterns() for word in words)})
        info = {w: (stem, bool(common), termid)
                for w, stem, common, termid in self.con.execute(_WORD_INFO, [folded]).fetchall()}
        parts: list[str] = []
        values: dict[str, Any] = {}
        if alone:
            parts.append(_ALL_WORDS)
            values |= {"all_termids": sorted({info[w][2] for w in alone if info[w][2] is not None}),
                       "all_terms": len({info[w][0] for w in alone})}
        for number, either in enumerate(brackets):
            name = f"any{number}"
            selects = [_ANY_WORDS.format(name=name)]
            values[f"{name}_termids"] = sorted({info[fold(w)][2] for w in either.words
                                                if info[fold(w)][2] is not None})
            for at, (pattern, words, every) in enumerate(either.patterns()):
                indexed = [info[w][2] for w in words if not info[w][1]]
                found = sorted({termid for termid in indexed if termid is not None})
                if not found or (every and None in indexed):
                    continue  # no passage holds (all) its words
                pattern_name = f"{name}p{at}"
                selects.append(_LEFT_OUT_PATTERN.format(name=pattern_name).replace("{within}", ""))
                values |= {pattern_name: pattern, f"{pattern_name}_termids": found,
                           f"{pattern_name}_least": len(found) if every else 1}
            parts.append("\nUNION ".join(selects))
        return {"all_of_sql": tuple(parts), **values}

    def _left_out(self, parsed: ParsedQuery) -> dict[str, Any]:
        """What the search leaves out, as SQL parameters: ``left_out_sql``, the subquery of the docids of the
        passages it leaves out (``{terms}`` still to be named, as each way of ranking reads its own; None when no
        passage can hold any of it), and the values it reads. A word no passage uses, or a phrase with one,
        leaves nothing out; common words, which the index leaves out, are not looked for in a phrase."""
        patterns = parsed.left_out_patterns()
        folded = sorted({fold(word) for word in parsed.left_out_words} | {w for _, words, _ in patterns for w in words})
        info = {w: (bool(common), termid) for w, _, common, termid in self.con.execute(_WORD_INFO, [folded]).fetchall()}
        parts: list[str] = []
        values: dict[str, Any] = {}
        termids = sorted({info[fold(w)][1] for w in parsed.left_out_words if info[fold(w)][1] is not None})
        if termids:
            parts.append(_LEFT_OUT_WORDS)
            values["left_out_termids"] = termids
        for number, (pattern, words, every) in enumerate(patterns):
            indexed = [info[w][1] for w in words if not info[w][0]]
            found = sorted({termid for termid in indexed if termid is not None})
            if not found or (every and None in indexed):
                continue  # no passage holds (all) its words
            name = f"left_out{number}"
            parts.append(_LEFT_OUT_PATTERN.format(name=name))
            values |= {name: pattern, f"{name}_termids": found, f"{name}_least": len(found) if every else 1}
        return {"left_out_sql": "\nUNION ALL ".join(parts) or None, **values}

    def _theme_filters(self, params: dict[str, Any]) -> str:
        """The conditions on the passages a theme is listed from (alias ``t``): under a heading, and not left out."""
        filters = [_THEME_SECTION_FILTER] if params["section"] is not None else []
        if params.get("left_out_sql"):
            terms = "search_index.postings" if self._tables_fresh() else "fts_main_passages.terms"
            left_out = params["left_out_sql"].format(terms=terms, within=_THEME_WITHIN)
            filters.append(_LEFT_OUT_BY_ID.format(alias="t", left_out=left_out))
        return " ".join(filters)

    def missing_words(self, parsed: ParsedQuery) -> tuple[MissingWord, ...]:
        """The words typed in the search (those it leaves out included) that no passage uses in any form, each
        with up to three spellings the passages do use. A word found through another form searched too
        ("childcare" as "child care", "s47" as "section 47") is not missing; common words, which the index leaves
        out, are never missing."""
        # a word left out that no passage uses leaves nothing out: named too ("-polcie")
        typed = list(dict.fromkeys([*parsed.typed, *(fold(word) for word in parsed.left_out_words)]))
        covered = {re.sub(r"[^a-z0-9]", "", fold(form)) for form in parsed.also}
        try:
            rows = self.con.execute(_WORD_INFO, [typed]).fetchall()
        except duckdb.Error:  # no full-text index here
            return ()
        absent = {w for w, _, common, termid in rows if termid is None and not common}
        indexed = {w for w, _, common, termid in rows if termid is not None and not common}
        # a part of a hyphenated word ("co" of "co-sleeping") whose other parts are found: the search reads the
        # parts as words, and the passages spell the whole with the parts apart or as one ("co sleeping"); a
        # common word ("the-xyzzy") finds nothing, so it does not count as found
        found_with = {part for compound in _HYPHENATED.findall(fold(parsed.text))
                      for part in compound.split("-") if set(compound.split("-")) & indexed}
        missing = []
        for word in typed:
            if (word in absent and word not in covered and word not in found_with
                    and not (parsed.also and SHORT_SECTION.fullmatch(word))):
                missing.append(MissingWord(word, self._spellings(word)))
        return tuple(missing)

    def numbers_only(self, parsed: ParsedQuery, missing: tuple[MissingWord, ...]) -> tuple[str, ...]:
        """With words of the search that no passage uses (``missing``): the typed words passages do use when every
        one of them is a number ("1" of "<script>alert(1)</script>"), else ()."""
        if parsed.also:  # another form searched ("section 47" for "s47") is more than a number
            return ()
        gone = {word.word for word in missing}
        typed = [word for word in dict.fromkeys(parsed.typed) if word not in gone]
        try:
            rows = self.con.execute(_WORD_INFO, [typed]).fetchall() if typed else []
        except duckdb.Error:  # no full-text index here
            return ()
        found = [w for w, _, common, termid in rows if termid is not None and not common]
        return tuple(found) if found and all(word.isdigit() for word in found) else ()

    def _spellings(self, word: str) -> tuple[str, ...]:
        """Words spelt like ``word`` whose stem the index holds, closest first, one per stem, at most three."""
        close = close_spellings(word, limit=10)
        if not close:
            return ()
        used = dict(self.con.execute(_USED_STEMS, [close]).fetchall())
        by_stem: dict[str, str] = {}
        for candidate in close:
            stem = used.get(candidate)
            if stem is not None and stem not in by_stem:
                by_stem[stem] = candidate
        return tuple(by_stem.values())[:3]

    def _ranked_hits(
        self, parsed: ParsedQuery, words: dict[str, _Word], params: dict[str, Any], fast: bool, offset: int = 0
    ) -> list[SearchHit]:
        """BM25-ranked hits from the ``offset``-th (``params["limit"]`` counts those left out); with quoted
        phrases, rank deeper until enough hits contain them as written."""
        limit = params["limit"]
        required = parsed.required
        depth = limit * (PHRASE_DEPTH if required else 1)
        while True:
            values = {**params, "limit": depth}
            if fast:
                ranked = _rank_fast(self.con, parsed, words, values)
            else:
                ranked = _rank_bm25(self.con, parsed, values)
            if not required:  # only the passages shown are looked up
                return _hits(self.con, ranked[offset:limit], "bm25", None)
            hits = _hits(self.con, ranked, "bm25", None)
            hits = [hit for hit in hits if all(re.search(r, _searched_text(hit.section, hit.text), match_flags(r))
                                               for r in required)]
            if len(hits) >= limit or len(ranked) < depth:
                return hits[offset:limit]
            depth *= PHRASE_DEPTH

    def parse(self, query: str | None) -> ParsedQuery | None:
        """``parse_query``, with the other ways the reviews join its compounds (``_with_compounds``) and the
        abbreviation of every long form the query holds that the reviews define: a search for "multi-agency
        risk assessment conference" also searches "MARAC" (``also`` says so).
        The reverse is not done: a long form's common words ("risk", "assessment") would bring in passages
        that merely use them."""
        parsed = parse_query(query)
        if parsed is None:
            return None
        parsed = self._with_compounds(parsed)
        definitions = self._definitions()
        if not definitions:
            return parsed
        query_words = [fold(word) for word in parsed.words]
        try:
            stems = dict(zip(query_words, _stem(self.con, query_words), strict=True))
        except duckdb.Error:  # no full-text-search extension here: nothing to stem with
            return parsed
        query_stems = [stems[word] for word in query_words]
        have = set(query_words)
        added = [short for short, long_stems in definitions
                 if short.lower() not in have and _holds(query_stems, long_stems)]
        added = list(dict.fromkeys(added))
        if not added:
            return parsed
        return replace(parsed, words=(*parsed.words, *(short.lower() for short in added)),
                       also=(*parsed.also, *added))

    def _with_compounds(self, parsed: ParsedQuery) -> ParsedQuery:
        """Add the other ways the reviews write a compound word: "cosleeping" also searches "co" and
        "sleeping" when a review writes "co-sleeping", and "childcare" also searches "child" and "care" when
        reviews write "child care" (in at least a fifth as many passages as write "childcare"); "co-sleeping"
        or "co sleeping" also searches "cosleeping" when a review writes it solid. Like any words of a search,
        the parts rank passages that hold only one of them too, below those holding both. A compound with a
        common word or a single letter in it ("well-being", "one-to-one", "e-mail") is left alone: its other
        words alone would match passages that merely use them."""
        query_words = [fold(word) for word in parsed.words if word.isalpha()]
        # pairs of words written next to each other in the query (not the forms added to it)
        typed = parsed.typed
        adjacent = [(a, b) for a, b in itertools.pairwise(typed) if a.isalpha() and b.isalpha()]
        pairs = [a + b for a, b in adjacent]
        try:
            forms = [*self._compound_forms(_COMPOUNDS, "compounds", query_words),
                     *self._compound_forms(_OPEN_COMPOUNDS, "open_compounds", query_words)]
            parts = {part for _, form in forms for part in _COMPOUND_SPLIT.split(form)}
            known = {w: (bool(common), termid is not None) for w, _, common, termid in
                     self.con.execute(_WORD_INFO, [sorted({*query_words, *pairs, *parts})]).fetchall()}
        except duckdb.Error:  # no full-text index or extension here: nothing to compare with
            return parsed
        have = set(query_words)
        added: list[str] = []
        shown: list[str] = []
        for _, form in forms:
            words = _COMPOUND_SPLIT.split(form)
            if form in shown or not all(known[w] == (False, True) and len(w) > 1 for w in words):
                continue  # "well-being": "well" alone is not it; "e-mail": "e" is every "e.g."
            added += [w for w in words if w not in have]
            shown.append(form)
        for (a, b), joined in zip(adjacent, pairs, strict=True):
            # a letter is no part of a compound: "Child E" is no "childe" (which the index holds as "child")
            if (known[a][0] or known[b][0] or known[joined] != (False, True) or joined in have
                    or min(len(a), len(b)) < 2):
                continue
            added.append(joined)
            shown.append(joined)
        if not shown:
            return parsed
        return replace(parsed, words=(*parsed.words, *dict.fromkeys(w for w in added if w not in have)),
                       also=(*parsed.also, *dict.fromkeys(shown)))

    def _compound_forms(self, sql: str, table: str, words: list[str]) -> list[tuple[str, str]]:
        """(word, other form) from one of the compound tables; none from a database built before it."""
        if not self.con.execute(_HAS_SEARCH_TABLE, [table]).fetchone()[0]:
            return []
        return self.con.execute(sql, [words]).fetchall()

    def _definitions(self) -> list[tuple[str, tuple[str, ...]]]:
        """(short form, the stems of its long form's words) for each abbreviation the reviews define."""
        if self._abbreviations is None:
            self._abbreviations = []
            if self.con.execute(_HAS_SEARCH_TABLE, ["abbreviations"]).fetchone()[0]:
                rows = self.con.execute(_ABBREVIATIONS).fetchall()
                words = sorted({fold(w) for _, long_form in rows for w in WORD_RE.findall(long_form)})
                try:
                    stem_of = dict(zip(words, _stem(self.con, words), strict=True))
                except duckdb.Error:  # no full-text-search extension here
                    return self._abbreviations
                self._abbreviations = [
                    (short, tuple(stem_of[fold(w)] for w in WORD_RE.findall(long_form))) for short, long_form in rows]
        return self._abbreviations

    def _theme(self, theme: str | None) -> str | None:
        if theme is None:
            return None
        if theme not in self._themes:
            self._themes[theme] = resolve_theme(self.con, theme)
        return self._themes[theme]

    def _check_index(self) -> None:
        if not self._fts_checked:
            _check_index(self.con)
            self._fts_checked = True

    def _tables_fresh(self) -> bool:
        if self._fresh is None:
            self._fresh = search_tables_fresh(self.con)
        return self._fresh


@dataclass(frozen=True)
class _Word:
    """A query word as the index sees it: its stem, whether it is a common (stop) word, its term id."""

    stem: str
    common: bool
    termid: int | None


def _word_info(con: duckdb.DuckDBPyConnection, parsed: ParsedQuery) -> dict[str, _Word]:
    """Folded query word -> ``_Word``; refuses a query made only of common words."""
    folded = sorted({fold(word) for word in parsed.words})
    words = {w: _Word(stem, bool(common), termid) for w, stem, common, termid in
             con.execute(_WORD_INFO, [folded]).fetchall()}
    if all(info.common for info in words.values()):
        raise CaseReviewError(
            f"the search {parsed.text!r} has only very common words ({', '.join(sorted(words))}), which "
            "the index leaves out: add a more specific word"
        )
    return words


def _review_filtered(params: dict[str, Any]) -> bool:
    return any(params[key] is not None for key in REVIEW_FILTER_KEYS)


def _theme_filtered(params: dict[str, Any]) -> bool:
    return params["theme"] is not None or params["min_score"] is not None


def _rank_bm25(con: duckdb.DuckDBPyConnection, parsed: ParsedQuery, params: dict[str, Any]) -> list[tuple]:
    """Rank with DuckDB's ``match_bm25`` (scores every passage: exact, but slow on a large database)."""
    joins, filters = _bm25_filters(params)
    sql = _RANK_BM25.format(joins="\n".join(joins), filters="\n".join(filters))
    values = {**_used(params, sql), "query": " ".join(parsed.words)}
    return con.execute(sql, values).fetchall()


def _rank_fast(
    con: duckdb.DuckDBPyConnection, parsed: ParsedQuery, words: dict[str, _Word], params: dict[str, Any]
) -> list[tuple]:
    """Rank with the term-sorted postings of the search tables: the same scores as ``match_bm25``."""
    term_ids = sorted({info.termid for info in words.values() if info.termid is not None})
    if not term_ids:
        return []
    sql = _RANK_FAST.format(filters=_fast_filters(params), having=_FAST_PHRASE_HAVING if parsed.phrases else "")
    values = {**_used(params, sql), "termids": term_ids, **_phrase_terms(parsed, words)}
    return con.execute(sql, values).fetchall()


def _bm25_filters(params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The joins and conditions that apply the filters to ``match_bm25``'s scores."""
    joins, filters = [], []
    if _review_filtered(params):
        joins.append(_BM25_REVIEW_JOIN)
        filters.append(f"AND {_FILTERS}")
    if _theme_filtered(params):
        filters.append(_BM25_THEME_FILTER)
    if params.get("section") is not None:
        filters.append(_BM25_SECTION_FILTER)
    for all_of in params.get("all_of_sql", ()):
        filters.append(_ALL_BY_ID.format(alias="s", all_of=all_of.format(terms="fts_main_passages.terms")))
    if params.get("left_out_sql"):
        left_out = params["left_out_sql"].format(terms="fts_main_passages.terms", within="")
        filters.append(_LEFT_OUT_BY_ID.format(alias="s", left_out=left_out))
    return joins, filters


def _fast_filters(params: dict[str, Any]) -> str:
    """The conditions that apply the filters to the search tables' postings."""
    filters = []
    if _review_filtered(params):
        filters.append(_FAST_REVIEW_FILTER)
    if _theme_filtered(params):
        filters.append(_FAST_THEME_FILTER)
    if params.get("section") is not None:
        filters.append(_FAST_SECTION_FILTER)
    for all_of in params.get("all_of_sql", ()):
        filters.append(_FAST_ALL_WORDS.format(all_of=all_of.format(terms="search_index.postings")))
    if params.get("left_out_sql"):
        left_out = params["left_out_sql"].format(terms="search_index.postings", within=_FAST_WITHIN)
        filters.append(_FAST_LEFT_OUT.format(left_out=left_out))
    return "".join(filters)


def _phrase_terms(parsed: ParsedQuery, words: dict[str, _Word]) -> dict[str, Any]:
    """The parameters of ``_FAST_PHRASE_HAVING``: a passage can hold a phrase only if it has every indexed word of
    it (common words are not indexed). Empty without phrases."""
    if not parsed.phrases:
        return {}
    phrase_words = {fold(word) for phrase in parsed.phrases for word in WORD_RE.findall(phrase)}
    indexed = {words[w].stem: words[w].termid for w in phrase_words if not words[w].common}
    return {"phrase_termids": [termid for termid in indexed.values() if termid is not None],
            "phrase_terms": len(indexed)}


def _count_fast(con: duckdb.DuckDBPyConnection, parsed: ParsedQuery, words: dict[str, _Word],
                params: dict[str, Any], by_review: bool) -> list[tuple]:
    """``Searcher._counted`` from the search tables: the passages ``_rank_fast`` ranks, phrases checked as
    written."""
    term_ids = sorted({info.termid for info in words.values() if info.termid is not None})
    if not term_ids:
        return []
    phrases = _required_params(parsed)
    sql = _COUNT_FAST.format(
        filters=_fast_filters(params),
        having=_FAST_PHRASE_HAVING if parsed.phrases else "",
        phrases=_COUNT_FAST_PHRASES.format(conditions=_required_conditions(phrases)) if phrases else "",
        # the review of each passage counted: its key in the search tables (rid) in all, its id for each review
        **_counting(by_review, "(SELECT k.review_id FROM search_index.review_keys k WHERE k.rid = m.rid)"
                    if by_review else "m.rid"),
    )
    values = {**_used(params, sql), **phrases, "termids": term_ids, **_phrase_terms(parsed, words)}
    return con.execute(sql, values).fetchall()


def _count_bm25(con: duckdb.DuckDBPyConnection, parsed: ParsedQuery, params: dict[str, Any],
                by_review: bool) -> list[tuple]:
    """``Searcher._counted`` with DuckDB's ``match_bm25``: the passages ``_rank_bm25`` ranks, phrases as
    written."""
    joins, filters = _bm25_filters(params)
    phrases = _required_params(parsed)
    if phrases:
        filters.append("AND " + _required_conditions(phrases))
    sql = _COUNT_BM25.format(joins="\n".join(joins), filters="\n".join(filters),
                             **_counting(by_review, "s.review_id"))
    values = {**_used(params, sql), **phrases, "query": " ".join(parsed.words)}
    return con.execute(sql, values).fetchall()


def _required_params(parsed: ParsedQuery) -> dict[str, str]:
    """The SQL parameters of what each passage must contain (``ParsedQuery.required``)."""
    return {f"required{number}": pattern for number, pattern in enumerate(parsed.required)}


def _required_conditions(required: dict[str, str]) -> str:
    """SQL that keeps the passages (``s``) holding all of ``required`` in their heading or text, as
    ``_searched_text`` joins them."""
    return " AND ".join(f"regexp_matches(coalesce(s.section, '') || chr(10) || s.text, ${name}, 'i')"
                        for name in required)


def _searched_text(section: str | None, text: str) -> str:
    """A passage's heading and text as the search reads them for what it must contain (the index holds both)."""
    return f"{section or ''}\n{text}"


def _used(params: dict[str, Any], sql: str) -> dict[str, Any]:
    """The named parameters that occur in ``sql`` (DuckDB refuses unused ones)."""
    return {name: value for name, value in params.items() if f"${name}" in sql}


def _hits(con: duckdb.DuckDBPyConnection, ranked: list[tuple], kind: str, theme: str | None) -> list[SearchHit]:
    """Fetch what is shown for each ranked passage, keeping the ranking."""
    ids = [passage_id for passage_id, _ in ranked]
    if not ids:
        return []
    details = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):  # small batches are looked up by key, not by a scan
        cursor = con.execute(_HIT_DETAILS, [ids[start:start + LOOKUP_CHUNK]])
        names = [column[0] for column in cursor.description]
        details.update({row[9]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()})
    evidence = dict(con.execute(_HIT_EVIDENCE, [ids, theme]).fetchall()) if theme else {}
    hits = []
    for passage_id, score in ranked:
        row = details.get(passage_id)
        if row is None:  # the index still lists a passage that a later write replaced
            continue
        hits.append(SearchHit(**row, score=float(score), score_kind=kind, evidence=evidence.get(passage_id)))
    return hits


# --------------------------------------------------------------------------- search tables


def build_search_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the search tables from the full-text index; call it right after rebuilding the index.

    The tables (schema ``search_index``) hold the index's postings sorted by term, with each passage's
    length and review, so a search reads only the rows of its own words: the same BM25 scores as DuckDB's
    ``match_bm25``, many times faster on a large database. They are derived data: dropping them loses
    nothing (search then falls back to ``match_bm25``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A read-write connection with the full-text-search extension loaded.
    """
    con.execute("SET enable_progress_bar = false")
    con.execute(_BUILD_SEARCH_TABLES)
    _build_abbreviations(con)
    con.execute(_BUILD_COMPOUNDS)
    _build_open_compounds(con)


def _build_open_compounds(con: duckdb.DuckDBPyConnection) -> None:
    """``search_index.open_compounds``: each word of ``lexicon.open_forms`` the reviews write apart, with how
    many passages write it apart and solid; the counts of reviews not new or changed since the last build are
    reused."""
    con.execute(_OPEN_COMPOUND_COUNTS)
    con.execute(_REVIEW_FINGERPRINTS)
    con.execute(_DROP_STALE_COUNTS)
    if con.execute("SELECT count(*) FROM review_fingerprints WHERE review_id NOT IN "
                   "(SELECT review_id FROM search_index.open_compound_counts)").fetchone()[0]:
        forms = open_forms()
        con.execute(_COUNT_NEW_REVIEWS, {"joined": list(forms), "open": list(forms.values()),
                                         "before": list(_BEFORE_WORD), "after": list(_AFTER_WORD)})
    con.execute(_BUILD_OPEN_COMPOUNDS)
    con.execute("DROP TABLE review_fingerprints")


# Punctuation a word written between spaces may have before or after it: "(childcare", "child care,".
_BEFORE_WORD = ("", "(", '"', "\u2018", "\u201c")
_AFTER_WORD = ("", ",", ".", ";", ":", ")", '"', "\u2019", "\u201d", "!", "?")


def _build_abbreviations(con: duckdb.DuckDBPyConnection) -> None:
    """``search_index.abbreviations``: each (short form, long form) the reviews define, with how many reviews
    define it (``pipeline.acronyms``)."""
    from pipeline.acronyms import definitions

    reviews: dict[tuple[str, str], set[str]] = {}
    for review_id, text in con.execute(_DEFINING_PASSAGES).fetchall():
        for short, long_form in definitions(text):
            reviews.setdefault((short, long_form.lower()), set()).add(review_id)
    pairs = sorted(reviews)
    con.execute(_BUILD_ABBREVIATIONS, {"short": [short for short, _ in pairs],
                                       "long": [long_form for _, long_form in pairs],
                                       "reviews": [len(reviews[pair]) for pair in pairs]})


def search_tables_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the search tables exist (the abbreviations and both compound tables too: earlier versions of
    casereview did not build them) and were built from the current full-text index."""
    if not con.execute(_HAS_SCHEMA, [_SEARCH_SCHEMA]).fetchone()[0]:
        return False
    try:
        return bool(con.execute(_SEARCH_TABLES_FRESH).fetchone()[0]) and all(
            con.execute(_HAS_SEARCH_TABLE, [table]).fetchone()[0] for table in _LATER_TABLES)
    except duckdb.Error:
        return False


def index_outdated(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the full-text index leaves out other words than this version's ``SEARCH_STOPWORDS`` or splits
    words elsewhere than at ``SEARCH_IGNORE``: it was built by an older casereview, whose index left out
    "seen", "alone", "not" and 500 more words, and every number."""
    from pipeline.store import SEARCH_IGNORE, SEARCH_STOPWORDS

    if not con.execute(_HAS_FTS_INDEX).fetchone()[0]:
        return False
    tokenizer = con.execute(_INDEX_TOKENIZER).fetchone()
    return (con.execute(_INDEX_STOPWORDS).fetchone()[0] != sorted(set(SEARCH_STOPWORDS))
            or tokenizer is None or f"'{SEARCH_IGNORE}'" not in tokenizer[0])


def unindexed_passages(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(passages the full-text index does not hold, passages it holds that are gone); (0, 0) without an index."""
    if not con.execute(_HAS_FTS_INDEX).fetchone()[0] or con.execute(_SAME_PASSAGES).fetchone()[0]:
        return 0, 0
    missing, gone = con.execute(_UNINDEXED).fetchone()
    return int(missing), int(gone)


def _refresh_wanted(con: duckdb.DuckDBPyConnection) -> str | None:
    """What a search should rebuild before it ranks, if it may (no run is writing): "index" when the full-text
    index is outdated (``index_outdated``) or does not hold the passages there are (``unindexed_passages``),
    "tables" when only the search tables are missing or stale, else None."""
    has_index = con.execute(_HAS_FTS_INDEX).fetchone()[0]
    if index_outdated(con) or any(unindexed_passages(con)):
        wanted = "index"
    elif not has_index and con.execute("SELECT count(*) > 0 FROM passages").fetchone()[0]:
        wanted = "index"  # a first run stopped before it built one
    elif has_index and not search_tables_fresh(con):
        wanted = "tables"
    else:
        return None
    return None if _run_going(con) else wanted


def _run_going(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a run is working on the database: one recorded as running, or one holding the run lock before it
    has recorded itself (its first seconds, while Prefect starts)."""
    if con.execute(_RUN_IN_PROGRESS).fetchone()[0]:
        return True
    from pipeline.runlock import run_in_progress

    try:
        path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    except duckdb.Error:
        return False
    return bool(path and path[0]) and run_in_progress(path[0]) is not None


def prepare_for_reading(db_path: Path | str | None) -> None:
    """Upgrade the database's schema and rebuild a stale search index or tables now, so that later readers
    can open it read-only and search it without writing (``casereview serve`` calls this before it starts)."""
    con = open_database(db_path)
    try:
        wanted = _refresh_wanted(con)
    finally:
        con.close()
    if wanted:
        _refresh_in(resolve_db(db_path), rebuild_index=wanted == "index")


def refresh_search(path: Path) -> bool:
    """Rebuild the full-text index and the search tables of the database file after rows were deleted (they
    follow neither inserts nor deletions); False, leaving it untouched, if the file is busy or read-only."""
    return _refresh_in(Path(path), rebuild_index=True)


def rebuild_search(store) -> bool:
    """Rebuild the full-text index of ``store`` (a :class:`pipeline.store.Store`) and then its search tables, after
    a run or a removal; False, building nothing, when the full-text-search extension is unavailable."""
    if not store.rebuild_fts():
        return False
    log.info("Rebuilt the search index.")
    _build_tables_in(store)
    return True


def _build_tables_in(store) -> None:
    with store.connect() as con:
        con.begin()
        build_search_tables(con)
        con.commit()


def _refresh_in(path: Path, rebuild_index: bool = False) -> bool:
    """Rebuild the full-text index (``rebuild_index``) and the search tables in the database file; False if it
    cannot (the file is busy or read-only), leaving it untouched: search then uses what is there.
    """
    from pipeline.store import Store

    try:
        store = Store(path, lock_timeout=1.0)
        if rebuild_index:
            return rebuild_search(store)
        _build_tables_in(store)
        return True
    except (CaseReviewError, duckdb.Error) as exc:
        log.info("Search index or tables not rebuilt (%s): searching with what is there.", exc)
        return False


def _holds(words: list[str], part: tuple[str, ...]) -> bool:
    """Whether ``part`` occurs in ``words`` as a run of consecutive words."""
    n = len(part)
    return n > 0 and any(tuple(words[i:i + n]) == part for i in range(len(words) - n + 1))


def _check_numbers(min_score: float | None, year_from: int | None, year_to: int | None, limit: int,
                   most: int = MAX_LIMIT) -> None:
    if min_score is not None and not 0 <= min_score <= 1:
        raise CaseReviewError(
            f"--min-score {min_score:g} is not a probability: give a number from 0 to 1 (0.8 means 80%)"
        )
    check_years(year_from, year_to)
    if not 1 <= limit <= most:
        raise CaseReviewError(f"--limit must be between 1 and {MAX_LIMIT} (got {limit})")


def _check_index(con: duckdb.DuckDBPyConnection) -> None:
    if not con.execute(_HAS_FTS_INDEX).fetchone()[0]:
        if _run_going(con):
            raise CaseReviewError(
                "the database has no search index yet, and a run is going: search by words again when it ends "
                "(it builds the index; a search by theme works now). If no run is going, one was stopped: "
                "`casereview run` again finishes it"
            )
        raise CaseReviewError(
            "the database has no search index yet: run `casereview run` (it builds the index at the end "
            "of every run), then search again"
        )
    try:
        con.execute(_FTS_PROBE).fetchone()
    except duckdb.Error:
        raise CaseReviewError(
            "full-text search is unavailable: the duckdb-extension-fts package is missing from this "
            "installation; reinstall casereview (make install)"
        ) from None


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _add_themes(con: duckdb.DuckDBPyConnection, hits: list[SearchHit]) -> None:
    by_id = {hit.passage_id: hit for hit in hits}
    models: dict[str, list[str]] = {}
    for passage_id, theme, score, model in con.execute(_HIT_THEMES, [list(by_id)]).fetchall():
        by_id[passage_id].themes[theme] = float(score)
        if model and model not in models.setdefault(passage_id, []):
            models[passage_id].append(model)
    for passage_id, versions in models.items():
        by_id[passage_id].theme_model = ", ".join(versions)


# --------------------------------------------------------------------------- snippets


def _stem(con: duckdb.DuckDBPyConnection, words: list[str]) -> list[str]:
    """Porter stems, computed by the same function the index uses."""
    if not words:
        return []
    return list(con.execute(_STEMS, [words]).fetchone()[0])


def _marked(text: str, spans: list[tuple[int, int]], before: str, after: str, escape=None) -> str:
    """``text`` with ``before``/``after`` around each span, the rest passed through ``escape``."""
    escape = escape or (lambda part: part)
    out, position = [], 0
    for start, end in spans:
        out.append(escape(text[position:start]))
        out.append(before + escape(text[start:end]) + after)
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def _add_snippets(
    con: duckdb.DuckDBPyConnection, hits: list[SearchHit], stems: set[str], required: tuple[str, ...]
) -> None:
    """Each hit's snippet around its matches: the words searched for (any form) and what it must contain
    (``ParsedQuery.required``); and where they are in its section heading, which is searched too."""
    texts = [text for hit in hits for text in (hit.text, hit.section or "")]
    found = [[(m.span(), fold(m.group())) for m in WORD_RE.finditer(text)] for text in texts] if stems else []
    words = sorted({word for matches in found for _, word in matches})
    stem_of = dict(zip(words, _stem(con, words), strict=True)) if words else {}

    def spans_in(index: int) -> list[tuple[int, int]]:
        spans = [span for span, word in found[index] if stem_of[word] in stems] if stems else []
        for pattern in required:
            spans.extend(m.span() for m in re.finditer(pattern, texts[index], flags=match_flags(pattern)))
        return _merge(spans)

    for number, hit in enumerate(hits):
        spans = spans_in(2 * number)
        if spans:
            hit.snippet_text, hit.highlights = make_snippet(hit.text, spans)
        else:
            hit.snippet_text, hit.highlights = _shorten(hit.evidence or hit.text), []
        hit.section_highlights = spans_in(2 * number + 1)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and join overlapping ones."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(
    text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """Cut a window of about ``width`` characters holding as many matched words as possible.

    Parameters
    ----------
    text : str
        The passage.
    spans : list of (int, int)
        Sorted, non-overlapping offsets of the matched words in ``text``.
    width : int
        Target length of the window.

    Returns
    -------
    (str, list of (int, int))
        The window (with '…' where the passage was cut) and the spans moved into it.
    """
    if len(text) <= width:
        return text, list(spans)
    best, best_count = 0, -1
    for i, (start, _) in enumerate(spans):
        count = sum(1 for s, e in spans[i:] if e <= start + width)
        if count > best_count:
            best, best_count = i, count
    anchor = spans[best][0]
    begin = max(0, anchor - width // 4)
    end = min(len(text), begin + width)
    begin = max(0, min(begin, end - width))
    if begin > 0:  # start on a word boundary
        space = text.find(" ", begin, anchor)
        begin = space + 1 if space != -1 else begin
    if end < len(text):
        space = text.rfind(" ", max(begin, spans[best][1]), end)
        end = space if space != -1 else end
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    moved = [
        (s - begin + len(prefix), e - begin + len(prefix)) for s, e in spans if s >= begin and e <= end
    ]
    return prefix + text[begin:end] + suffix, moved


def _shorten(text: str, width: int = SNIPPET_CHARS) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width] + " …"


# --------------------------------------------------------------------------- similar


def similar(
    db_path: Path | str | None, passage_or_review_id: str, limit: int = 10, *, other_reviews: bool = False,
    upgrade: bool = True,
) -> list[SimilarHit]:
    """Find what is most like a passage or a review, by the meaning of the text (embeddings).

    For a passage id: the nearest other passages (cosine similarity of their vectors). For a review id:
    the nearest other reviews (each review's vector is the mean of its passages' vectors).

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    passage_or_review_id : str
        A ``passage_id`` or a ``review_id``.
    limit : int
        At most this many results (1-1000).
    other_reviews : bool
        For a passage: only passages of other reviews (by default the passage's own review counts too).
    upgrade : bool
        Upgrade an older database first (see ``open_database``); False for a reader that never writes.

    Returns
    -------
    list of SimilarHit
        Most similar first.

    Raises
    ------
    CaseReviewError
        If the database holds no embeddings, the id is unknown, or the passage/review has no embedding.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise CaseReviewError(f"--limit must be between 1 and {MAX_LIMIT} (got {limit})")
    wanted = passage_or_review_id.strip()
    con = open_database(db_path, upgrade=upgrade)
    try:
        if not con.execute(_HAS_EMBEDDINGS).fetchone()[0]:
            raise CaseReviewError(
                "the database holds no passage embeddings, so nothing can be compared: run `casereview run` "
                "with the theme model (without --no-themes) to compute them"
            )
        wanted, is_passage = _resolve(con, wanted, db_path)
        model_row = con.execute(_MODEL_FOR, [wanted]).fetchone()
        if model_row is None:
            what = "passage" if is_passage else "review"
            why = None if is_passage else why_unread(con, wanted)
            if why is not None:
                raise CaseReviewError(
                    f"the review '{wanted}' has no text to compare: {why}. Once that is put right and "
                    "`casereview run` has read it, it can be compared"
                )
            raise CaseReviewError(
                f"the {what} '{wanted}' has no embedding (it was processed without the theme model): run "
                "`casereview run` again with the theme model"
            )
        params = {"id": wanted, "model": model_row[0], "limit": limit}
        if is_passage:
            params["other_reviews"] = other_reviews
            return [_similar_passage(row, model_row[0]) for row in _fetch(con, _SIMILAR_PASSAGES, params)]
        return [_similar_review(row, model_row[0]) for row in _fetch(con, _SIMILAR_REVIEWS, params)]
    finally:
        con.close()


def _resolve(con: duckdb.DuckDBPyConnection, wanted: str, db_path: Path | str | None) -> tuple[str, bool]:
    """The stored id of the passage or review ``wanted`` names (its id in any case, or words of one review's title),
    and whether it is a passage; a ``CaseReviewError`` suggesting ids when it names none."""
    passage = con.execute(_IS_PASSAGE, [wanted]).fetchone()[0]
    if passage is not None:
        return passage, True
    review = con.execute(_IS_REVIEW, [wanted]).fetchone()[0] or _review_by_title(con, wanted)  # "Child H"
    if review is None:
        ids = [row[0] for row in con.execute(_REVIEW_IDS).fetchall()]
        raise CaseReviewError(
            f"no passage or review has the id '{wanted}', and no review's title holds it. "
            f"{closest_ids([wanted], ids)}Passage ids are shown by "
            f"`casereview search{db_argument(resolve_db(db_path))}`; each review's id is shown in "
            f"{reviews_list_hint(db_path)}"
        )
    return review, False


def similar_to(db_path: Path | str | None, passage_or_review_id: str, upgrade: bool = True) -> str:
    """What ``similar`` compares with, for people: 'the passage ID (Title, p. 4): "its first words ..."' or
    'Title (review-id)'."""
    con = open_database(db_path, upgrade=upgrade)
    try:
        wanted, is_passage = _resolve(con, passage_or_review_id.strip(), db_path)
        if not is_passage:
            return f"{con.execute(_ABOUT_REVIEW, [wanted]).fetchone()[0]} ({wanted})"
        title, _, start, end, text = con.execute(_ABOUT_PASSAGE, [wanted]).fetchone()
        pages = f"p. {start}" if start == end or end is None else f"pp. {start}-{end}"
        return f"the passage {wanted} ({title}, {pages}): \"{shorten(' '.join(text.split()), 160)}\""
    finally:
        con.close()


def _similar_passage(row: dict[str, Any], model: str) -> SimilarHit:
    return SimilarHit(
        kind="passage", review_id=row["review_id"], title=row["title"], area=row["area"], year=row["year"],
        nation=row["nation"], review_type=row["review_type"], similarity=float(row["similarity"] or 0.0),
        model=model, passage_id=row["passage_id"], page_start=row["page_start"], page_end=row["page_end"],
        section=row["section"], text=row["text"], snippet=_shorten(row["text"]),
        printed_start=row["printed_start"], printed_end=row["printed_end"],
    )


def _review_by_title(con: duckdb.DuckDBPyConnection, words: str) -> str | None:
    """The id of the one review whose title holds ``words`` (``KnownValues.review``); None when no title holds
    them. Words in several titles are a ``CaseReviewError`` listing those reviews."""
    try:
        return KnownValues(con).review(words)
    except CaseReviewError as exc:
        if "is in the titles of" in str(exc):
            raise
        return None


def _similar_review(row: dict[str, Any], model: str) -> SimilarHit:
    return SimilarHit(
        kind="review", review_id=row["review_id"], title=row["title"], area=row["area"], year=row["year"],
        nation=row["nation"], review_type=row["review_type"], similarity=float(row["similarity"] or 0.0),
        model=model, passages=row["passages"],
    )
