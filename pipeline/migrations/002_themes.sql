-- Learning themes per passage, their evidence sentences, the per-review roll-up, and the embedding cache.
-- Documented for analysts in docs/schema.md.

CREATE TABLE passage_themes (
    passage_id    VARCHAR NOT NULL,
    review_id     VARCHAR NOT NULL,
    theme         VARCHAR NOT NULL,
    score         DOUBLE,
    model_version VARCHAR,
    PRIMARY KEY (passage_id, theme)
);

CREATE TABLE theme_evidence (
    passage_id   VARCHAR NOT NULL,
    theme        VARCHAR NOT NULL,
    rank         INTEGER NOT NULL,       -- 1 = the classifier's first evidence sentence for this tag
    sentence_seq INTEGER,
    text         VARCHAR,
    score        DOUBLE,
    PRIMARY KEY (passage_id, theme, rank)
);

CREATE TABLE review_themes (
    review_id       VARCHAR NOT NULL,
    theme           VARCHAR NOT NULL,
    model_version   VARCHAR,
    passages_tagged INTEGER,
    max_score       DOUBLE,
    top_evidence    STRUCT(text VARCHAR, page INTEGER, passage_id VARCHAR, score DOUBLE)[],
    PRIMARY KEY (review_id, theme)
);

CREATE TABLE passage_embeddings (
    passage_id VARCHAR NOT NULL,
    model      VARCHAR NOT NULL,
    vector     FLOAT[],
    PRIMARY KEY (passage_id, model)
);
