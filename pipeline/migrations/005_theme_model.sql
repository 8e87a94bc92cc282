-- Which theme model tagged each document's passages (NULL: the run had no theme model), so that a run with a
-- different model re-tags documents whose bytes have not changed instead of skipping them.
ALTER TABLE documents ADD COLUMN theme_model VARCHAR;
