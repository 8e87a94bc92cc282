-- Whether OCR was on when the document was read (NULL: read before this was recorded), and whether text that only
-- OCR could read was left out (pages without a usable text layer, or lines in a font whose text is not readable
-- English). A document that left such text unread while OCR was off is read again by the first run with OCR on;
-- one whose text OCR already tried is not read again.
ALTER TABLE documents ADD COLUMN ocr_on BOOLEAN;
ALTER TABLE documents ADD COLUMN ocr_left BOOLEAN;
