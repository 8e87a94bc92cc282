-- Whether OCR was on when the document was read (NULL: read before this was recorded). A document with pages
-- left unread because OCR was off is read again by the first run with OCR on; one whose pages OCR already
-- tried is not read again.
ALTER TABLE documents ADD COLUMN ocr_on BOOLEAN;
