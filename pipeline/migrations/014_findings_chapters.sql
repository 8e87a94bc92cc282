-- v_review_findings also takes the headings set directly under a chapter of findings: a Welsh child practice
-- review states its findings as the subheadings of "Practice and organisational learning" ("5.1 The impact of the
-- mother's illness was not fully understood"), and many English reviews as those of "Findings" or "Analysis and
-- findings", numbered by section or not at all. A chapter of findings is a heading that ends with "findings",
-- "learning", "lessons (learned)", "learning points" or "areas for improvement/development"; its subheadings that
-- introduce, summarise or conclude it, or name good practice ("What went well", "Strengths") or recommendations,
-- are not findings. The headings
-- that number a finding ("Finding 2: ...") are taken wherever they are, as in migration 013.
CREATE OR REPLACE VIEW v_review_findings AS
WITH chains AS (
    SELECT p.review_id, p.seq, p.page_start, p.passage_id,
           coalesce(p.headings, [p.section]) AS chain
    FROM passages p
), under AS (
    SELECT c.review_id, c.seq, c.page_start, c.passage_id, c.chain,
           unnest(generate_series(1, len(c.chain))) AS depth
    FROM chains c
), steps AS (
    SELECT u.review_id, u.seq, u.page_start, u.passage_id,
           u.chain[u.depth] AS heading,
           CASE WHEN u.depth > 1 THEN u.chain[u.depth - 1] END AS parent
    FROM under u
)
SELECT s.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       s.heading AS finding,
       min(s.seq) AS seq,
       arg_min(s.page_start, s.seq) AS page,
       arg_min(s.passage_id, s.seq) AS passage_id
FROM steps s
JOIN reviews r ON r.review_id = s.review_id
WHERE regexp_matches(s.heading,
                     '^(\d+(\.\d+)*\.?\s+)?(key\s+)?(finding|learning\s+(point|area|theme)|key\s+learning|lesson|theme|areas?\s+for\s+(improvement|development))s?\s+\d+\b',
                     'i')
   OR (regexp_matches(s.parent,
                      '^(\d+(\.\d+)*\.?\s+)?([a-z,'' ]+\s)?(findings|learning|lessons(\s+learn(ed|t))?|learning\s+points|areas\s+for\s+(improvement|development))\s*:?$',
                      'i')
       AND NOT regexp_matches(s.heading,
                              '^(\d+(\.\d+)*\.?\s+)?(introduction|summary|overview|context|background|conclusions?|recommendations?|(areas\s+of\s+)?(good|positive|effective|notable)\s+practice|what\s+went\s+well|strengths)\b',
                              'i'))
GROUP BY ALL
ORDER BY r.year, s.review_id, seq;
