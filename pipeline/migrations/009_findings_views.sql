-- What each review found and recommended, in its own words, for analysts and the partnership report.
--
-- v_review_findings: one row per heading that states a numbered finding of a review ("Finding 2: Information
-- did not follow the family", "Learning point 1 - ...", "3.2 Key learning 4: ..."), with the page its first
-- passage starts on, in the review's order (`seq` of that passage). Findings stated only in running text are
-- not here.
CREATE VIEW v_review_findings AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.section AS finding,
       min(p.seq) AS seq,
       arg_min(p.page_start, p.seq) AS page,
       arg_min(p.passage_id, p.seq) AS passage_id
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE regexp_matches(p.section,
                     '^(\d+(\.\d+)*\.?\s+)?(key\s+)?(finding|learning\s+(point|area|theme)|key\s+learning|lesson)s?\s+\d+\b',
                     'i')
GROUP BY ALL
ORDER BY r.year, p.review_id, seq;

-- v_review_recommendations: every passage under a heading that has the word "recommendation"
-- ("Recommendations", "7. Recommendations", "Learning and recommendations"), in the review's order.
CREATE VIEW v_review_recommendations AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.seq, p.passage_id, p.text, p.section, p.page_start, p.page_end
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE strpos(lower(p.section), 'recommendation') > 0
ORDER BY r.year, p.review_id, p.seq;
