-- Each passage keeps the headings it is under, outermost first, its own section last: a passage under "Why this
-- matters" below "Finding 1: ..." has both, so a finding stays known when the review splits it into subsections
-- (NULL: under no heading, or stored before this was recorded; the next run of a newer version re-reads it).
ALTER TABLE passages ADD COLUMN headings VARCHAR[];
-- Whether the passage is made of the review's footnotes (small type at the foot of a page, opening with its mark):
-- searched and shown, never tagged with themes (NULL: stored before this was recorded).
ALTER TABLE passages ADD COLUMN footnote BOOLEAN;

-- v_review_findings takes a finding heading wherever it is among a passage's headings, not only when it is the
-- passage's own section: a review that sets "How the finding showed itself" and "Why this matters" under each
-- "Finding 1: ..." heading states its findings too. Otherwise as migration 011.
CREATE OR REPLACE VIEW v_review_findings AS
WITH under AS (
    SELECT p.review_id, p.seq, p.page_start, p.passage_id,
           unnest(coalesce(p.headings, [p.section])) AS heading
    FROM passages p
)
SELECT u.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       u.heading AS finding,
       min(u.seq) AS seq,
       arg_min(u.page_start, u.seq) AS page,
       arg_min(u.passage_id, u.seq) AS passage_id
FROM under u
JOIN reviews r ON r.review_id = u.review_id
WHERE regexp_matches(u.heading,
                     '^(\d+(\.\d+)*\.?\s+)?(key\s+)?(finding|learning\s+(point|area|theme)|key\s+learning|lesson|theme|areas?\s+for\s+(improvement|development))s?\s+\d+\b',
                     'i')
GROUP BY ALL
ORDER BY r.year, u.review_id, seq;

-- v_review_recommendations takes every passage under a heading that has the word "recommendation", wherever it is
-- among the passage's headings: "Recommendations" with a subheading per agency ("For the local authority") keeps
-- the passages under the subheadings. Otherwise as migration 009.
CREATE OR REPLACE VIEW v_review_recommendations AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.seq, p.passage_id, p.text, p.section, p.page_start, p.page_end
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE strpos(lower(array_to_string(coalesce(p.headings, [p.section]), chr(10))), 'recommendation') > 0
ORDER BY r.year, p.review_id, p.seq;
