-- v_review_findings also takes the subheadings of a chapter headed "Analysis" ("5. Analysis", where a serious case
-- review sets out what it found, a subheading a theme: "Information that was not shared"), "What the review found"
-- (a rapid review's) or "(Key) themes", as it took those of "Findings" and "Learning": a partnership's summary listed
-- no findings for 8 of the 19 demo reviews read. Subheadings that name a period, an episode, an agency or a part
-- of the report (introduction, background, what went well) are still left out. As migration 016 otherwise.
--
-- v_review_recommendations also takes the passages under "Actions agreed" or "Agreed actions", where a rapid review
-- sets out what it asks of agencies. As migration 017 otherwise.
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
   OR ((regexp_matches(s.parent,
                      '^(\d+(\.\d+)*\.?\s+)?([a-z,'' ]+\s)?(findings|learning|lessons(\s+learn(ed|t))?|learning\s+points|areas\s+for\s+(improvement|development))\s*:?$',
                      'i')
        OR regexp_matches(s.parent,
                          '^(\d+(\.\d+)*\.?\s+)?((the\s+)?analysis|what\s+(the|this)\s+review\s+found|(key\s+)?themes)\s*:?$',
                          'i'))
       AND NOT regexp_matches(s.heading,
                              '^(\d+(\.\d+)*\.?\s+)?(introduction|summary|overview|context|background|conclusions?|recommendations?|(areas\s+of\s+)?(good|positive|effective|notable)\s+practice|what\s+went\s+well|strengths)\b',
                              'i')
       AND NOT regexp_matches(s.heading,
                              '^(\d+(\.\d+)*\.?\s+)?((period|phase|stage|time\s*frame|(key\s+(practice\s+)?)?episode)\s+(\d+|one|two|three|four|five|six|seven|eight|[ivx]+)\b.*|(from\s+)?((\d{1,2}\s+)?(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+)?(19|20)\d\d(\s*(-|–|—|/|to|until|and)\s*(((\d{1,2}\s+)?(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+)?(19|20)?\d\d|present|now))?)\s*:?$',
                              'i')
       AND NOT ((regexp_matches(s.heading,
                               '^(\d+(\.\d+)*\.?\s+)?(the\s+)?(children[''’]?s\s+|adults?[''’]?\s+|community\s+)?(health(\s+visiting|\s+visitors?)?|police(\s+scotland)?|social\s+(care|work|services)|children[''’]?s\s+services|education|schools?|nursery|early\s+years|gps?|general\s+practice|primary\s+care|hospitals?|midwifery|maternity|camhs|probation|youth\s+(offending|justice)|local\s+authority|nhs|ambulance|emergency\s+department|[a-z''’]+(\s+[a-z''’]+){0,2}\s+(services?|teams?|(nhs|foundation|health|care|ambulance|hospitals?)\s+trust|board|agenc(y|ies)))(\s+(services?|teams?|service[''’]s\s+involvement|involvement|response))?\s*:?$',
                               'i')
            -- a named service or organisation, its words capitalised ("Brookside Family Centre", "West Yorkshire
            -- Police", "St Mary's Academy"): case matters here, so "Delays at hospital" is not taken for one
            OR regexp_matches(s.heading,
                              '^(\d+(\.\d+)*\.?\s+)?(The\s+)?([A-Z][A-Za-z''’.&-]*\s+){1,4}(Centre|Center|Hospital|School|Academy|College|Nursery|(Medical|GP|Dental|Group)\s+Practice|Surgery|Clinic|Unit|Department|Partnership|Council|Constabulary|Police|Service|Services|Team|(NHS|Foundation|Health|Care|Ambulance|Hospitals?)\s+Trust|Board|Agency|Foundation|Project)(\s+(Involvement|Response))?\s*:?$')
           )
                AND NOT regexp_matches(s.heading, '\b(of|to|for|with|between|by|not|no|lack|poor|was|were|is|are|did|does|had|has|have|at|in|on|from|after|before|within|across|missed|missing|delays?|delayed|late|gaps?|fail(ed|ures?)?|limited|insufficient|inadequate|unclear|absent|absence|weak)\b', 'i')))
GROUP BY ALL
ORDER BY r.year, s.review_id, seq;

CREATE OR REPLACE VIEW v_review_recommendations AS
SELECT p.review_id, r.title, r.area, r.nation, r.review_type, r.year,
       p.seq, p.passage_id, p.text, p.section, p.page_start, p.page_end
FROM passages p
JOIN reviews r ON r.review_id = p.review_id
WHERE regexp_matches(array_to_string(coalesce(p.headings, [p.section]), chr(10)),
                     'recommendation|improving\s+systems\s+and\s+practice|(^|\n)(\d+(\.\d+)*\.?\s+)?(agreed\s+actions|actions\s+agreed)\b',
                     'i')
ORDER BY r.year, p.review_id, p.seq;
