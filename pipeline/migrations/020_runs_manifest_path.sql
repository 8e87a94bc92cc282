-- runs.manifest_path: the manifest's full path when the run read it. runs.manifest keeps the path as it was typed
-- ("corpus_manifest/demo.csv"), which is what provenance shows; read from another folder, that relative path named
-- another file or none, and `casereview remove` could not find the manifest that still lists a removed review.
-- Older runs keep NULL (their manifest is then looked for as typed).
ALTER TABLE runs ADD COLUMN manifest_path VARCHAR;
