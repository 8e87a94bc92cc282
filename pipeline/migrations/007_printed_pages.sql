-- The number printed on a page (in its header or footer), where it differs or may differ from the page's
-- place in the PDF: a cover and a contents page without numbers put "page 1" on the file's third page.
-- NULL where no number could be trusted (pipeline/pagenumbers.py).
ALTER TABLE pages ADD COLUMN printed INTEGER;
