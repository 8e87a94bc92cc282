-- Core tables: what the manifest lists, what was fetched and extracted, and what each run did.
-- Documented for analysts in docs/schema.md. All timestamps are UTC.

CREATE TABLE reviews (
    review_id     VARCHAR PRIMARY KEY,   -- manifest slug, the key used everywhere
    title         VARCHAR,
    area          VARCHAR,               -- safeguarding partnership / local authority
    nation        VARCHAR,
    review_type   VARCHAR,
    year          INTEGER,
    published     DATE,
    source        VARCHAR,               -- URL or path relative to the manifest
    notes         VARCHAR,
    manifest_line INTEGER                -- line of the manifest row (header is line 1), as of the latest run
);

CREATE TABLE documents (
    review_id        VARCHAR PRIMARY KEY,
    sha256           VARCHAR,
    status           VARCHAR NOT NULL CHECK (status IN ('ok', 'failed', 'needs_ocr')),
    error            VARCHAR,            -- why the latest attempt failed (NULL unless status = 'failed')
    pages            INTEGER,
    needs_ocr_pages  INTEGER[],
    size_bytes       BIGINT,
    content_kind     VARCHAR,
    pipeline_version VARCHAR,
    fetched_at       TIMESTAMP,
    processed_at     TIMESTAMP,
    run_id           VARCHAR
);

CREATE TABLE pages (
    review_id VARCHAR NOT NULL,
    page      INTEGER NOT NULL,
    chars     INTEGER,
    needs_ocr BOOLEAN,
    PRIMARY KEY (review_id, page)
);

CREATE TABLE passages (
    passage_id VARCHAR PRIMARY KEY,
    review_id  VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    text       VARCHAR NOT NULL,
    page_start INTEGER,
    page_end   INTEGER,
    section    VARCHAR,
    char_start INTEGER,
    char_end   INTEGER
);

CREATE TABLE sentences (
    passage_id VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,
    review_id  VARCHAR NOT NULL,
    text       VARCHAR NOT NULL,
    char_start INTEGER,                  -- offsets into the passage text
    char_end   INTEGER,
    PRIMARY KEY (passage_id, seq)
);

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    manifest          VARCHAR,
    manifest_sha256   VARCHAR,
    pipeline_version  VARCHAR,
    reviews_processed INTEGER,
    reviews_skipped   INTEGER,
    reviews_failed    INTEGER,
    pages             INTEGER,
    passages          INTEGER,
    status            VARCHAR NOT NULL CHECK (status IN ('running', 'finished', 'interrupted'))
);

CREATE TABLE run_reviews (
    run_id    VARCHAR NOT NULL,
    review_id VARCHAR NOT NULL,
    outcome   VARCHAR NOT NULL CHECK (outcome IN ('processed', 'skipped', 'failed', 'needs_ocr')),
    message   VARCHAR,
    seconds   DOUBLE,
    PRIMARY KEY (run_id, review_id)
);

CREATE TABLE fetch_attempts (
    run_id       VARCHAR NOT NULL,
    review_id    VARCHAR NOT NULL,
    attempt      INTEGER NOT NULL,    -- 1 for the first try, 2 for the first retry, ...
    url          VARCHAR,
    status_code  INTEGER,
    error        VARCHAR,
    elapsed_s    DOUBLE,
    attempted_at TIMESTAMP               -- when the attempt started ('at' is a reserved word in DuckDB)
);
