-- theme_trends_at (and theme_trends_for, v_theme_trends over it) keeps the reviews of the one area named, by its
-- whole name (ignoring case and quote marks, "&" read as "and"), as the other review filters now do: matched as any
-- part of the name, "Vale" counted Ashcombe and Vale's reviews with those of an area called Vale.
-- `casereview trends --area` gives it the area's stored name, found from what was typed (part of it will do there).
CREATE OR REPLACE MACRO theme_trends_at(year_from, year_to, nation, review_type, area, min_score) AS TABLE
WITH read_reviews AS (
    SELECT r.review_id, r.year, count(*) AS passages
    FROM reviews r
    JOIN passages p ON p.review_id = r.review_id
    WHERE r.year IS NOT NULL
      AND (year_from IS NULL OR r.year >= year_from)
      AND (year_to IS NULL OR r.year <= year_to)
      AND (nation IS NULL OR lower(r.nation) = lower(nation))
      AND (review_type IS NULL OR lower(r.review_type) = lower(review_type))
      -- (as area_folded in pipeline/outputs/common.py writes it)
      AND (area IS NULL OR
            trim(regexp_replace(trim(regexp_replace(translate(lower(r.area), '‘’“”', '''''""'),
                                                    '[\s\x{00a0}\x{2000}-\x{200b}\x{202f}\x{3000}]+', ' ', 'g')),
                                ' ?& ?', ' and ', 'g'))
            = trim(regexp_replace(trim(regexp_replace(translate(lower(area), '‘’“”', '''''""'),
                                                      '[\s\x{00a0}\x{2000}-\x{200b}\x{202f}\x{3000}]+', ' ', 'g')),
                                  ' ?& ?', ' and ', 'g')))
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
    WHERE min_score IS NULL OR t.score >= min_score
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

CREATE OR REPLACE MACRO theme_trends_for(year_from, year_to, nation, review_type, area) AS TABLE
SELECT * FROM theme_trends_at(year_from, year_to, nation, review_type, area, NULL);

CREATE OR REPLACE VIEW v_theme_trends AS
SELECT * FROM theme_trends_for(NULL, NULL, NULL, NULL, NULL);
