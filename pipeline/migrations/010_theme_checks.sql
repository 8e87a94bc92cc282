-- Checks of the theme model on passages people labelled by hand (`casereview evaluate --gold SHEET --record`),
-- so that outputs can say how far its tags held on these reviews, not only on the text it was published with.
--
-- theme_checks: one row per check, that is per labelled file (by its bytes) and model version; recording the
-- same check again replaces its rows.
CREATE TABLE theme_checks (
    check_id      VARCHAR PRIMARY KEY,   -- first 16 hex digits of SHA-256 of the model version and the file's SHA-256
    recorded_at   TIMESTAMP NOT NULL,    -- UTC
    model_version VARCHAR NOT NULL,      -- the model checked (as in passage_themes.model_version)
    gold_file     VARCHAR NOT NULL,      -- the labelled file's name, as given
    gold_sha256   VARCHAR NOT NULL,
    passages      INTEGER NOT NULL,      -- labelled passages scored (rows not marked yet are not counted)
    sample        VARCHAR,               -- how the passages were drawn, from the sheet's provenance, when known
    report        VARCHAR NOT NULL       -- the whole `evaluate --json` report
);

-- theme_check_scores: one row per theme of each check.
CREATE TABLE theme_check_scores (
    check_id  VARCHAR NOT NULL,
    theme     VARCHAR NOT NULL,
    support   INTEGER NOT NULL,          -- passages labelled with the theme
    tagged    INTEGER NOT NULL,          -- passages the model tagged with it
    left_out  INTEGER NOT NULL,          -- passages marked unsure (?) for it
    precision DOUBLE,                    -- NULL where undefined (nothing tagged)
    recall    DOUBLE,                    -- NULL where undefined (nothing labelled)
    f1        DOUBLE,
    f1_low    DOUBLE,                    -- 95% bootstrap interval of F1, when computed
    f1_high   DOUBLE,
    PRIMARY KEY (check_id, theme)
);
