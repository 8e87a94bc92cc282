-- Pages read by optical character recognition (they had no usable text layer), with Tesseract's mean word
-- confidence (0-100), so that users can tell text read by OCR, which may hold misread words.
-- (Added without a default and filled in: with DuckDB 1.5, a column added WITH a default followed by a second
-- ALTER in the same transaction cannot be committed when the table holds rows, so an older database that had
-- pages could never be upgraded.)
ALTER TABLE pages ADD COLUMN ocr BOOLEAN;
ALTER TABLE pages ADD COLUMN ocr_confidence DOUBLE;
ALTER TABLE pages ALTER COLUMN ocr SET DEFAULT false;
UPDATE pages SET ocr = false;
