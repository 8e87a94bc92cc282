-- Read-only views for people and the output commands (search, export, trends, report).
-- Documented for analysts in docs/views.md. Views hold no data: they are recomputed on every query from the
-- tables of 001_core.sql and 002_themes.sql, so they are always up to date with the latest run.
-- The view names start with `v_` so they never clash with the tables (`review_themes` and `theme_evidence`
-- are tables).

-- One row per tagged passage and theme, with everything needed to quote it: the review, the pages, the
-- theme's probability and the model that gave it, and the passage's best evidence sentence (highest
-- evidence score; ties go to the classifier's earlier evidence sentence). `evidence` is NULL when the tag
-- has no evidence sentence.
CREATE VIEW v_theme_evidence AS
SELECT t.review_id,
       r.title,
       r.area,
       r.nation,
       r.review_type,
       r.year,
       p.page_start,
       p.page_end,
       p.section,
       t.theme,
       t.score,
       t.model_version,
       e.evidence,
       e.evidence_score,
       t.passage_id,
       p.text
FROM passage_themes t
JOIN passages p ON p.passage_id = t.passage_id
JOIN reviews r ON r.review_id = t.review_id
LEFT JOIN (
    SELECT passage_id,
           theme,
           first(text ORDER BY score DESC NULLS LAST, rank) AS evidence,
           max(score) AS evidence_score
    FROM theme_evidence
    GROUP BY passage_id, theme
) e ON e.passage_id = t.passage_id AND e.theme = t.theme;

-- How common each theme is, year by year. A review "carries" a theme when at least one of its passages is
-- tagged with it. The denominators count only reviews whose text was read (they have passages): a review
-- that failed or needs OCR cannot carry a theme, so counting it would understate every share. Every
-- (year, theme) pair appears, with zeros where no review of that year carries the theme.
CREATE VIEW v_theme_trends AS
WITH read_reviews AS (
    SELECT r.review_id, r.year, count(*) AS passages
    FROM reviews r
    JOIN passages p ON p.review_id = r.review_id
    WHERE r.year IS NOT NULL
    GROUP BY r.review_id, r.year
), years AS (
    SELECT year, count(*) AS reviews_in_year, sum(passages) AS passages_in_year
    FROM read_reviews
    GROUP BY year
), themes AS (
    SELECT DISTINCT theme FROM passage_themes
), tagged AS (
    SELECT r.year, t.theme, count(DISTINCT t.review_id) AS reviews_with_theme, count(*) AS passages_with_theme
    FROM passage_themes t
    JOIN read_reviews r ON r.review_id = t.review_id
    GROUP BY r.year, t.theme
)
SELECT y.year,
       th.theme,
       coalesce(g.reviews_with_theme, 0) AS reviews_with_theme,
       y.reviews_in_year,
       coalesce(g.reviews_with_theme, 0) / y.reviews_in_year AS share_of_reviews,
       coalesce(g.passages_with_theme, 0) AS passages_with_theme,
       y.passages_in_year::BIGINT AS passages_in_year,
       coalesce(g.passages_with_theme, 0) / y.passages_in_year AS share_of_passages
FROM years y
CROSS JOIN themes th
LEFT JOIN tagged g ON g.year = y.year AND g.theme = th.theme
ORDER BY y.year, th.theme;

-- One row per review in the manifest: what became of its document, how much text it gave, and its themes
-- (theme ids, the theme tagged in the most passages first). `status` is 'not_processed' for a review no run
-- has tried yet.
CREATE VIEW v_review_summary AS
SELECT r.review_id,
       r.title,
       r.area,
       r.nation,
       r.review_type,
       r.year,
       r.published,
       r.source,
       coalesce(d.status, 'not_processed') AS status,
       d.error,
       d.pages,
       coalesce(pc.passages, 0) AS passages,
       coalesce(th.themes, []::VARCHAR[]) AS themes,
       d.run_id,
       d.processed_at
FROM reviews r
LEFT JOIN documents d ON d.review_id = r.review_id
LEFT JOIN (SELECT review_id, count(*) AS passages FROM passages GROUP BY review_id) pc
    ON pc.review_id = r.review_id
LEFT JOIN (
    SELECT review_id, list(theme ORDER BY passages_tagged DESC, theme) AS themes
    FROM review_themes
    GROUP BY review_id
) th ON th.review_id = r.review_id;
