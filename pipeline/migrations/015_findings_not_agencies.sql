-- v_review_findings leaves out the subheadings of a chapter of findings that name an agency or a period, not a
-- finding: many reviews set their analysis out agency by agency ("Findings" > "Police", "Children's social care",
-- "4.2 Health visiting service") or period by period ("Period 2: March 2018 to June 2019", "2019 - 2020"), and
-- listing those as the review's findings told a reader nothing. A subheading that says something of the agency
-- ("Police did not share the call-outs with the school", "Lack of support services") is still a finding. As migration 014 otherwise.
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
                              'i')
       AND NOT regexp_matches(s.heading,
                              '^(\d+(\.\d+)*\.?\s+)?((period|phase|stage|time\s*frame|(key\s+(practice\s+)?)?episode)\s+(\d+|one|two|three|four|five|six|seven|eight|[ivx]+)\b.*|(from\s+)?((\d{1,2}\s+)?(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+)?(19|20)\d\d(\s*(-|–|—|/|to|until|and)\s*(((\d{1,2}\s+)?(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+)?(19|20)?\d\d|present|now))?)\s*:?$',
                              'i')
       AND NOT (regexp_matches(s.heading,
                               '^(\d+(\.\d+)*\.?\s+)?(the\s+)?(children[''’]?s\s+|adults?[''’]?\s+|community\s+)?(health(\s+visiting|\s+visitors?)?|police(\s+scotland)?|social\s+(care|work|services)|children[''’]?s\s+services|education|schools?|nursery|early\s+years|gps?|general\s+practice|primary\s+care|hospitals?|midwifery|maternity|camhs|probation|youth\s+(offending|justice)|local\s+authority|nhs|ambulance|emergency\s+department|[a-z''’]+(\s+[a-z''’]+){0,2}\s+(services?|teams?|trust|board|agenc(y|ies)))(\s+(services?|teams?|service[''’]s\s+involvement|involvement|response))?\s*:?$',
                               'i')
                AND NOT regexp_matches(s.heading, '\b(of|to|for|with|between|by|not|no|lack|poor|was|were|is|are|did|does|had|has|have)\b', 'i')))
GROUP BY ALL
ORDER BY r.year, s.review_id, seq;
