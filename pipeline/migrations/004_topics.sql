-- Topics found by `casereview topics fit` (BERTopic) and the passages assigned to them.
-- One fitted model is identified by its model_version ('topics@<hash>'); rows of older versions are kept.
-- The views describe the newest fitted model only. Documented for analysts in docs/topics.md.

CREATE TABLE topic_models (
    model_version  VARCHAR PRIMARY KEY,  -- 'topics@' + hash of the corpus passage ids and the settings
    fitted_at      TIMESTAMP NOT NULL,   -- UTC
    encoder        VARCHAR NOT NULL,     -- passage_embeddings.model the topics were found with
    seed           INTEGER,              -- NULL for an unseeded (not reproducible) fit
    min_topic_size INTEGER NOT NULL,
    passages       INTEGER NOT NULL,     -- passages the model was fitted on
    topics         INTEGER NOT NULL,     -- topics found (the outlier topic -1 not counted)
    model_dir      VARCHAR NOT NULL      -- folder of the saved model
);

CREATE TABLE topics (
    topic_id      INTEGER NOT NULL,      -- 0 is the largest topic; -1 holds passages that fit no topic
    label         VARCHAR,               -- readable label made from the top terms, e.g. 'neglect · home conditions'
    terms         VARCHAR[],             -- top terms, most characteristic first
    size          INTEGER,               -- passages in the topic when the model was fitted
    model_version VARCHAR NOT NULL,
    PRIMARY KEY (topic_id, model_version)
);

CREATE TABLE topic_representatives (
    topic_id      INTEGER NOT NULL,
    model_version VARCHAR NOT NULL,
    rank          INTEGER NOT NULL,      -- 1 = the passage closest to the topic
    passage_id    VARCHAR NOT NULL,
    PRIMARY KEY (topic_id, model_version, rank)
);

CREATE TABLE passage_topics (
    passage_id    VARCHAR NOT NULL,
    topic_id      INTEGER NOT NULL,
    probability   DOUBLE,                -- closeness to the topic (cosine similarity, clipped to 0..1)
    model_version VARCHAR NOT NULL,
    PRIMARY KEY (passage_id, model_version)
);

-- Per year of review: passages and reviews in each topic, and the topic's share of that year's passages.
CREATE VIEW v_topic_trends AS
WITH current_model AS (
    SELECT model_version FROM topic_models ORDER BY fitted_at DESC, model_version LIMIT 1
), assigned AS (
    SELECT r.year, pt.topic_id, pt.model_version, p.review_id
    FROM passage_topics pt
    JOIN current_model USING (model_version)
    JOIN passages p USING (passage_id)
    JOIN reviews r USING (review_id)
)
SELECT a.year, a.topic_id, t.label, count(*) AS passages, count(DISTINCT a.review_id) AS reviews,
       count(*) / sum(count(*)) OVER (PARTITION BY a.year) AS share, a.model_version
FROM assigned a
LEFT JOIN topics t USING (topic_id, model_version)
GROUP BY a.year, a.topic_id, t.label, a.model_version
ORDER BY a.year, a.topic_id;

-- Topic x learning theme: passages of each topic tagged with each theme, and their share of the topic.
CREATE VIEW v_topic_themes AS
WITH current_model AS (
    SELECT model_version FROM topic_models ORDER BY fitted_at DESC, model_version LIMIT 1
), assigned AS (
    SELECT pt.passage_id, pt.topic_id, pt.model_version
    FROM passage_topics pt
    JOIN current_model USING (model_version)
    JOIN passages p USING (passage_id)
), topic_totals AS (
    SELECT topic_id, count(*) AS topic_passages FROM assigned GROUP BY topic_id
)
SELECT a.topic_id, t.label, th.theme, count(*) AS passages, count(DISTINCT th.review_id) AS reviews,
       count(*) / any_value(tt.topic_passages) AS share_of_topic, a.model_version
FROM assigned a
JOIN passage_themes th ON th.passage_id = a.passage_id
JOIN topic_totals tt ON tt.topic_id = a.topic_id
LEFT JOIN topics t ON t.topic_id = a.topic_id AND t.model_version = a.model_version
GROUP BY a.topic_id, t.label, th.theme, a.model_version
ORDER BY a.topic_id, passages DESC, th.theme;
