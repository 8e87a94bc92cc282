-- Pages read by optical character recognition (they had no usable text layer), with Tesseract's mean word
-- confidence (0-100), so that users can tell text read by OCR, which may hold misread words.
ALTER TABLE pages ADD COLUMN ocr BOOLEAN DEFAULT false;
ALTER TABLE pages ADD COLUMN ocr_confidence DOUBLE;
