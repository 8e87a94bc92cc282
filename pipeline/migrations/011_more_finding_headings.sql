-- v_review_findings also takes the other ways reviews number what they found in their headings: "Theme 2:
-- ..." and "Key theme 1 - ..." (Scottish learning reviews and many briefings set their findings out as
-- numbered themes), and "Area for improvement 3: ..." / "Area for development 1". Otherwise as migration 009.
CREATE OR REPLACE VIEW v_review_findings AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.section AS finding,
       min(p.seq) AS seq,
       arg_min(p.page_start, p.seq) AS page,
       arg_min(p.passage_id, p.seq) AS passage_id
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE regexp_matches(p.section,
                     '^(\d+(\.\d+)*\.?\s+)?(key\s+)?(finding|learning\s+(point|area|theme)|key\s+learning|lesson|theme|areas?\s+for\s+(improvement|development))s?\s+\d+\b',
                     'i')
GROUP BY ALL
ORDER BY r.year, p.review_id, seq;
