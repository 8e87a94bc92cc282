-- v_review_recommendations also takes the passages under "Improving systems and practice", the heading under which
-- a Welsh child practice review sets out its recommendations (Welsh Government guidance for child practice
-- reviews), so a Welsh partnership's reviews have recommendations in the area report and on the review page.
-- Otherwise as migration 013: every passage under a heading that has the word "recommendation", wherever it is among
-- the passage's headings.
CREATE OR REPLACE VIEW v_review_recommendations AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.seq, p.passage_id, p.text, p.section, p.page_start, p.page_end
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE regexp_matches(array_to_string(coalesce(p.headings, [p.section]), chr(10)),
                     'recommendation|improving\s+systems\s+and\s+practice', 'i')
ORDER BY r.year, p.review_id, p.seq;
