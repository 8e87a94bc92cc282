"""Manifest loading, validation, drafting from a folder of PDFs, and writing."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ManifestError
from pipeline.manifest import (
    COLUMNS,
    Manifest,
    ManifestEntry,
    load_manifest,
    manifest_from_folder,
    slugify,
    write_manifest,
)
from tests.http_server import make_pdf

THIS_YEAR = datetime.date.today().year
SHA = "ab" * 32

GOOD_ROW = {
    "review_id": "northmoor-2019-child-d",
    "title": "Child D",
    "area": "Northmoor Safeguarding Children Partnership",
    "nation": "England",
    "review_type": "CSPR",
    "year": "2019",
    "published": "2020-02-14",
    "source": "https://example.org/reviews/child-d.pdf",
    "sha256": "",
    "notes": "",
}


def csv_text(rows: list[dict[str, str]], columns: list[str] | tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_csv(folder: Path, text: str, name: str = "demo.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def row(**changes: str) -> dict[str, str]:
    return {**GOOD_ROW, **changes}


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    return info.value.problems


def single_problem(tmp_path: Path, **changes: str) -> str:
    problems = problems_of(write_csv(tmp_path, csv_text([row(**changes)])))
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------------- valid manifests


def test_valid_manifest_loads_with_normalised_values(tmp_path: Path):
    rows = [
        row(),
        row(
            review_id="cardiff.cpr_2021",
            nation="  wales ",
            review_type="cpr",
            year="2021",
            published="",
            source="reviews/cardiff 2021.pdf",
            sha256=SHA.upper(),
            notes="from the\nregional board",  # a multi-line cell: later line numbers must still be right
        ),
        {k: "" for k in COLUMNS},  # blank spreadsheet row: ignored
        row(
            review_id="belfast-cmr",
            nation="NORTHERN   IRELAND",
            review_type="Learning Review",
            source="b.pdf",
        ),
    ]
    path = write_csv(tmp_path, csv_text(rows))
    manifest = load_manifest(path)
    assert isinstance(manifest, Manifest)
    first, second, third = manifest.entries
    assert first == ManifestEntry(
        review_id="northmoor-2019-child-d",
        title="Child D",
        area="Northmoor Safeguarding Children Partnership",
        nation="England",
        review_type="CSPR",
        year=2019,
        published=datetime.date(2020, 2, 14),
        source="https://example.org/reviews/child-d.pdf",
        sha256=None,
        notes=None,
        line=2,
    )
    assert (second.nation, second.review_type, second.sha256) == ("Wales", "CPR", SHA)
    assert second.published is None and second.notes == "from the\nregional board"
    assert (third.nation, third.review_type) == ("Northern Ireland", "learning review")
    assert [e.line for e in manifest.entries] == [2, 3, 6]
    assert first.is_url() and not second.is_url()
    assert second.local_path(manifest.folder) == (tmp_path / "reviews" / "cardiff 2021.pdf").resolve()
    assert manifest.folder == tmp_path.resolve()
    assert manifest.checksum() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_byte_order_mark_is_accepted(tmp_path: Path):
    path = write_csv(tmp_path, csv_text([row()]), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_manifest(path).entries[0].review_id == "northmoor-2019-child-d"


def test_header_names_tolerate_case_and_spaces(tmp_path: Path):
    text = csv_text([row()]).replace("review_id,", "Review ID,", 1).replace("review_type", " Review_Type ")
    assert load_manifest(write_csv(tmp_path, text)).entries[0].review_type == "CSPR"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_columns_separated_by_semicolons_or_tabs_are_read(tmp_path: Path, delimiter: str):
    # Excel saves "CSV" with semicolons where the comma is the decimal mark; a table pasted into a text file
    # has tabs. The header alone decides, so a title with a comma in it stays one value.
    rows = [row(title="Review of Child D, aged 3"), row(review_id="northmoor-2020-child-e", title="Child E")]
    out = io.StringIO(newline="")
    csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter, lineterminator="\n").writerows(
        [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows])
    entries = load_manifest(write_csv(tmp_path, out.getvalue())).entries
    expected = load_manifest(write_csv(tmp_path, csv_text(rows), name="commas.csv")).entries
    assert entries == expected and entries[0].title == "Review of Child D, aged 3"


def test_values_as_a_spreadsheet_writes_them_back_are_read(tmp_path: Path):
    # Excel in the UK turns 2020-02-14 into a date and saves it as 14/02/2020, and a year column it took for
    # numbers may come back as 2020.0; people write review types out in full.
    entry = load_manifest(write_csv(tmp_path, csv_text([row(
        published="14/02/2020", year="2020.0", review_type="Child Safeguarding Practice Review")]))).entries[0]
    assert (entry.published, entry.year, entry.review_type) == (datetime.date(2020, 2, 14), 2020, "CSPR")
    for written in ("14.2.2020", "14 February 2020", "14 Feb 2020"):
        assert load_manifest(write_csv(tmp_path, csv_text([row(published=written)]))).entries[0].published == (
            datetime.date(2020, 2, 14)), written
    for written, short in (("serious case review", "SCR"), ("Child  Practice Review", "CPR"),
                           ("Serious Case Review (SCR)", "SCR"), ("LCSPR", "CSPR")):
        assert load_manifest(write_csv(tmp_path, csv_text([row(review_type=written)]))).entries[0].review_type == (
            short)


def test_a_link_as_an_email_or_a_spreadsheet_hands_it_on_is_read_as_the_link(tmp_path: Path):
    # pasted from an e-mail ("<https://...>") or made by Excel's HYPERLINK: both were looked for as files
    link = "https://example.org/reviews/child-d.pdf"
    for written in (f"<{link}>", f'=HYPERLINK("{link}","Child D review (2021)")', f'=HYPERLINK("{link}")'):
        assert load_manifest(write_csv(tmp_path, csv_text([row(source=written)]))).entries[0].source == link, written
    # an archived copy names the link it archived: one link
    archived = f"https://web.archive.org/web/2021/{link}"
    assert load_manifest(write_csv(tmp_path, csv_text([row(source=archived)]))).entries[0].source == archived


def test_optional_columns_may_be_left_out(tmp_path: Path):
    columns = ["review_id", "title", "area", "nation", "review_type", "year", "source"]
    entry = load_manifest(write_csv(tmp_path, csv_text([row()], columns))).entries[0]
    assert (entry.published, entry.sha256, entry.notes) == (None, None, None)


def test_local_path_refuses_urls(tmp_path: Path):
    entry = load_manifest(write_csv(tmp_path, csv_text([row()]))).entries[0]
    with pytest.raises(ManifestError, match="is a URL"):
        entry.local_path(tmp_path)


# ---------------------------------------------------------------------- file-level problems


def test_missing_file_names_the_path(tmp_path: Path):
    with pytest.raises(ManifestError, match="Manifest file not found: .*nowhere.csv"):
        load_manifest(tmp_path / "nowhere.csv")


def test_plain_csv_from_excel_on_windows_is_read_and_the_words_to_check_are_named(tmp_path: Path):
    # Excel's "CSV (Comma delimited)" on a UK Windows machine writes Windows-1252, not UTF-8
    rows = [row(title="Children\u2019s services \u2013 Child D", area="Ynys M\u00f4n"),
            row(review_id="northmoor-2019-child-e", title="Child E", source="https://example.org/e.pdf")]
    path = write_csv(tmp_path, csv_text(rows), encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    loaded = load_manifest(path)
    assert [e.title for e in loaded.entries] == ["Children\u2019s services \u2013 Child D", "Child E"]
    assert loaded.entries[0].area == "Ynys M\u00f4n"
    assert loaded.entries == load_manifest(write_csv(tmp_path, csv_text(rows), name="utf8.csv")).entries
    note = loaded.encoding_note
    assert note.startswith("demo.csv is not UTF-8 text; it was read as Windows-1252")
    assert "'Children\u2019s' (line 2)" in note and "CSV UTF-8" in note
    assert load_manifest(tmp_path / "utf8.csv").encoding_note is None


def test_plain_csv_from_excel_for_mac_is_read_as_mac_roman(tmp_path: Path):
    path = write_csv(tmp_path, csv_text([row(title="Children\u2019s services \u2013 Child D")]), encoding="mac_roman")
    (entry,) = load_manifest(path).entries
    assert entry.title == "Children\u2019s services \u2013 Child D"  # not "Children\u00d5s services \u00d0 Child D"
    assert "Mac OS Roman" in load_manifest(path).encoding_note


def test_a_file_that_is_not_text_says_how_to_save(tmp_path: Path):
    path = tmp_path / "demo.csv"
    path.write_bytes(csv_text([row()]).encode() + bytes(range(256)))
    with pytest.raises(ManifestError, match=r"demo.csv line 4: the file is not UTF-8.*CSV UTF-8"):
        load_manifest(path)


def test_a_pdf_given_as_the_manifest_says_what_a_manifest_is(tmp_path: Path):
    path = tmp_path / "child-d.pdf"
    path.write_bytes(make_pdf("Child D review."))
    with pytest.raises(ManifestError, match=r"child-d.pdf is a PDF, not a manifest.*manifest from-folder"):
        load_manifest(path)


def test_unicode_text_saved_by_excel_is_read(tmp_path: Path):
    # Excel's "Unicode Text (*.txt)": tab-separated UTF-16 with a byte-order mark
    text = csv_text([row(title="Child D – a review")]).replace(",", "\t")
    path = write_csv(tmp_path, text, name="unicode.txt", encoding="utf-16")
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    (entry,) = load_manifest(path).entries
    assert entry.title == "Child D – a review" and entry == load_manifest(write_csv(tmp_path, csv_text(
        [row(title="Child D – a review")]))).entries[0]


def test_a_workbook_given_as_the_manifest_says_to_save_it_as_csv(tmp_path: Path):
    import zipfile

    path = tmp_path / "reviews.xlsx"  # the file Excel saves by default: a zip of XML parts
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ManifestError, match=r"reviews.xlsx is a spreadsheet workbook, not a CSV file.*CSV UTF-8"):
        load_manifest(path)


def test_empty_file_and_header_only(tmp_path: Path):
    assert "the file is empty" in problems_of(write_csv(tmp_path, ""))[0]
    assert "lists no reviews" in problems_of(write_csv(tmp_path, csv_text([])))[0]


def test_unknown_column_is_named_with_a_suggestion(tmp_path: Path):
    text = csv_text([row()]).replace("review_id,", "reviewid,", 1).replace(",notes", ",Reviewer")
    problems = problems_of(write_csv(tmp_path, text))
    joined = "\n".join(problems)
    assert "demo.csv line 1: unknown column(s) 'reviewid' (did you mean 'review_id'?), 'Reviewer'" in joined
    assert "missing required column(s) 'review_id'" in joined
    assert "casereview has no column like" not in joined  # both look like misspellings of ours
    # a column of the user's own (no misspelling of ours) is named with what to do with it
    own = "\n".join(problems_of(write_csv(tmp_path, csv_text([row()]).replace(",notes", ",Lead reviewer"))))
    assert ("casereview has no column like 'Lead reviewer': delete it, or move what it holds into the notes column"
            in own and "so the manifest cannot be read" in own and "Rename" not in own)


def test_columns_under_other_usual_names_are_read(tmp_path: Path):
    header = "ID,Title,Local authority,Country,Type of review,Year,Date published,URL,Checksum,Comments"
    text = csv_text([row()]).splitlines()
    entries = load_manifest(write_csv(tmp_path, "\n".join([header, *text[1:]]) + "\n")).entries
    assert entries == load_manifest(write_csv(tmp_path, csv_text([row()]))).entries
    # two names for one column is a mistake to point out, not a guess
    text = csv_text([row()]).replace(",notes", ",URL", 1)
    (problem,) = problems_of(write_csv(tmp_path, text))
    assert problem == ("demo.csv line 1: the columns 'source' and 'URL' both give the 'source'. Delete or rename one "
                       "of them.")


def test_missing_required_columns_are_named(tmp_path: Path):
    columns = [c for c in COLUMNS if c not in ("area", "year")]
    (problem,) = problems_of(write_csv(tmp_path, csv_text([row()], columns)))
    assert problem.startswith("demo.csv line 1: missing required column(s) 'area', 'year'.")


def test_duplicate_column(tmp_path: Path):
    text = csv_text([row()]).replace(",notes", ",title", 1)
    assert "the column 'title' appears twice" in "\n".join(problems_of(write_csv(tmp_path, text)))


def test_values_outside_the_named_columns(tmp_path: Path):
    text = csv_text([row()]).rstrip("\n") + ",stray value\n"
    (problem,) = problems_of(write_csv(tmp_path, text))
    assert "demo.csv line 2: the row has values outside the named columns ('stray value')" in problem


# ---------------------------------------------------------------------- field problems


@pytest.mark.parametrize("column", ["review_id", "title", "area", "nation", "review_type", "year", "source"])
def test_missing_required_value(tmp_path: Path, column: str):
    problem = single_problem(tmp_path, **{column: "  "})
    assert problem == f"demo.csv line 2, field '{column}': is empty but required. Fill it in and run again."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1890", f"1890 is not a plausible year (expected 1970-{THIS_YEAR})"),
        ("1969", "1969 is not a plausible year"),
        (str(THIS_YEAR + 1), f"{THIS_YEAR + 1} is not a plausible year"),
        ("twenty", "'twenty' is not a year"),
        ("2019.5", "'2019.5' is not a year"),
    ],
)
def test_impossible_years(tmp_path: Path, value: str, expected: str):
    problem = single_problem(tmp_path, year=value)
    assert problem.startswith(f"demo.csv line 2, field 'year': {expected}")
    assert problem.endswith("Fix the value in the spreadsheet and run again.")


@pytest.mark.parametrize("value", ["1974", "1999"])
def test_historic_serious_case_reviews_are_accepted(tmp_path: Path, value: str):
    """England's reviews go back to the 1970s: a manifest listing one is not refused for its year."""
    path = write_csv(tmp_path, csv_text([row(year=value)]))
    result = CliRunner().invoke(main, ["manifest", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "plausible" not in result.output


def test_example_message_format(tmp_path: Path):
    assert single_problem(tmp_path, year="1890") == (
        f"demo.csv line 2, field 'year': 1890 is not a plausible year (expected 1970-{THIS_YEAR}). "
        "Fix the value in the spreadsheet and run again."
    )


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("review_id", "Child D", "'Child D' is not a valid id"),
        ("review_id", "-child-d", "is not a valid id"),
        ("nation", "Cymru", "'Cymru' is not one of England, Wales, Scotland, Northern Ireland"),
        (
            "review_type",
            "DHR",
            "'DHR' is not one of CSPR, SCR, CPR, learning review, CMR, rapid review, other",
        ),
        ("published", "Feb 2020", "'Feb 2020' is not a date in the form YYYY-MM-DD (or day/month/year)"),
        ("published", "02/14/2020", "'02/14/2020' is not a real calendar date"),  # month first: not UK
        ("published", "2021-02-30", "'2021-02-30' is not a real calendar date"),
        ("published", f"{THIS_YEAR + 1}-01-01", "is in the future"),
        ("sha256", "abc123", "'abc123' is not a sha256 checksum"),
        ("sha256", "g" * 64, "is not a sha256 checksum"),
    ],
)
def test_invalid_values(tmp_path: Path, column: str, value: str, expected: str):
    problem = single_problem(tmp_path, **{column: value})
    assert problem.startswith(f"demo.csv line 2, field '{column}': ")
    assert expected in problem


def test_bad_review_id_suggests_a_slug(tmp_path: Path):
    assert "For example use 'child-d-2019'" in single_problem(tmp_path, review_id="Child D (2019)")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ftp://example.org/review.pdf", "unsupported 'ftp:' scheme"),
        ("file:///etc/passwd", "unsupported 'file:' scheme"),
        ("javascript:alert(1)", "unsupported 'javascript:' scheme"),
        ("https://", "has no web site name"),
        ("http://example.org:notaport/x.pdf", "is not a valid web address"),
        ("../elsewhere/review.pdf", "points outside the manifest's folder"),
        ("reviews/../../review.pdf", "points outside the manifest's folder"),
        ("reviews\\..\\..\\review.pdf", "points outside the manifest's folder"),
        ("/etc/passwd", "is an absolute path"),
        ("C:\\Reviews\\child-d.pdf", "is an absolute path"),
        ("~/reviews/child-d.pdf", "is an absolute path"),
        (".", "is a folder, not a file"),
    ],
)
def test_unsafe_or_unsupported_sources(tmp_path: Path, source: str, expected: str):
    problem = single_problem(tmp_path, source=source)
    assert problem.startswith("demo.csv line 2, field 'source': ")
    assert expected in problem
    assert "http:// or https:// link" in problem


def test_paths_inside_the_folder_are_fine(tmp_path: Path):
    rows = [row(review_id=f"r{i}", source=s) for i, s in enumerate(["a.pdf", "sub/../b.pdf", "./c/d.pdf"])]
    assert len(load_manifest(write_csv(tmp_path, csv_text(rows))).entries) == 3


def test_duplicate_ids_name_both_lines(tmp_path: Path):
    rows = [row(), row(review_id="other"), row(title="Another")]
    (problem,) = problems_of(write_csv(tmp_path, csv_text(rows)))
    assert problem.startswith(
        "demo.csv line 4, field 'review_id': 'northmoor-2019-child-d' is already used on line 2."
    )


def test_all_problems_are_reported_together(tmp_path: Path):
    rows = [
        row(),
        row(review_id="a", year="1890"),
        row(review_id="b", source="ftp://x.org/r.pdf", sha256="xyz"),
        row(review_id="c"),
        row(review_id="a", nation="France"),
    ]
    path = write_csv(tmp_path, csv_text(rows))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert message.startswith(f"The manifest {path} has 5 problems:\n")
    expected = [
        "demo.csv line 3, field 'year': 1890 is not a plausible year",
        "demo.csv line 4, field 'source': 'ftp://x.org/r.pdf' uses the unsupported 'ftp:' scheme",
        "demo.csv line 4, field 'sha256': 'xyz' is not a sha256 checksum",
        "demo.csv line 6, field 'review_id': 'a' is already used on line 3",
        "demo.csv line 6, field 'nation': 'France' is not one of",
    ]
    for fragment in expected:
        assert f"  - {fragment}" in message
    assert [p.split(":")[0] for p in info.value.problems] == [e.split(":")[0] for e in expected]


def test_header_and_row_problems_stop_at_the_header(tmp_path: Path):
    # With an unusable header the rows cannot be read, so only the header is reported.
    text = csv_text([row(year="1890")], [c for c in COLUMNS if c != "title"])
    (problem,) = problems_of(write_csv(tmp_path, text))
    assert "missing required column(s) 'title'" in problem


# ---------------------------------------------------------------------- writing


def test_write_manifest_refuses_to_overwrite(tmp_path: Path):
    entries = load_manifest(write_csv(tmp_path, csv_text([row()]))).entries
    target = tmp_path / "out.csv"
    write_manifest(entries, target)
    before = target.read_bytes()
    with pytest.raises(ManifestError, match="already exists.*Choose another file name, or pass --force"):
        write_manifest(entries, target)
    assert target.read_bytes() == before
    write_manifest(entries + [entries[0]], target, overwrite=True)
    assert target.read_bytes() != before


def test_write_then_load_round_trip(tmp_path: Path):
    source = load_manifest(
        write_csv(tmp_path, csv_text([row(), row(review_id="x", notes='say "hi",\nthen')]))
    )
    target = tmp_path / "sub" / "copy.csv"
    write_manifest(source.entries, target)
    header = target.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == ",".join(COLUMNS)
    assert load_manifest(target).entries == source.entries


# ---------------------------------------------------------------------- drafting from a folder of PDFs


@pytest.fixture
def review_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reviews"
    (folder / "wales").mkdir(parents=True)
    files = {
        "northmoor-2019-child-d.pdf": make_pdf("Child D", metadata={}),
        "wales/cpr-2020-family-x.pdf": make_pdf(
            "Family X",
            metadata={
                "/Title": "Child Practice Review: Family X",
                "/Author": "Cwm Taf Morgannwg Regional Safeguarding Board",
            },
        ),
        "westshire-child-a.PDF": make_pdf(
            "Child A",
            metadata={
                "/Title": "Child Safeguarding Practice Review: Child A",
                "/Author": "Westshire Safeguarding Children Partnership",
                "/CreationDate": "D:20210601093000Z",
            },
        ),
        "glasgow-learning-review.pdf": make_pdf(
            "LR", metadata={"/Title": "Learning Review (Scottish guidance)", "/Author": "J. Smith"}
        ),
        "microsoft-title.pdf": make_pdf("x", metadata={"/Title": "Microsoft Word - draft3.docx"}),
        "broken.pdf": b"%PDF-1.4\nthis is not really a PDF",
        "word-2019-cspr.pdf": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # a .doc renamed .pdf
        "encrypted-2018-scr.pdf": make_pdf("secret", password="secret"),
        "Child D.pdf": make_pdf("one", metadata={}),
        "child-d.pdf": make_pdf("two", metadata={}),
        "readme.txt": b"not a PDF",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def by_source(entries: list[ManifestEntry]) -> dict[str, ManifestEntry]:
    return {e.source: e for e in entries}


def test_manifest_from_folder_guesses_fields(review_folder: Path):
    entries = manifest_from_folder(review_folder)
    assert [e.source for e in entries] == [
        "broken.pdf",
        "Child D.pdf",
        "child-d.pdf",
        "encrypted-2018-scr.pdf",
        "glasgow-learning-review.pdf",
        "microsoft-title.pdf",
        "northmoor-2019-child-d.pdf",
        "wales/cpr-2020-family-x.pdf",
        "westshire-child-a.PDF",
        "word-2019-cspr.pdf",
    ]
    assert [e.line for e in entries] == list(range(2, 12))
    found = by_source(entries)

    plain = found["northmoor-2019-child-d.pdf"]
    assert (plain.review_id, plain.title, plain.year, plain.area) == (
        "northmoor-2019-child-d",
        "Northmoor 2019 Child D",
        2019,
        "Northmoor",
    )
    assert (plain.nation, plain.review_type, plain.published) == ("England", "other", None)
    assert "nation guessed: check" in plain.notes and "title" in plain.notes
    assert plain.sha256 == hashlib.sha256((review_folder / plain.source).read_bytes()).hexdigest()

    cspr = found["westshire-child-a.PDF"]
    assert cspr.title == "Child Safeguarding Practice Review: Child A"
    assert cspr.area == "Westshire Safeguarding Children Partnership"
    assert (cspr.review_type, cspr.year, cspr.published) == ("CSPR", 2021, datetime.date(2021, 6, 1))

    welsh = found["wales/cpr-2020-family-x.pdf"]
    assert (welsh.nation, welsh.review_type, welsh.year) == ("Wales", "CPR", 2020)
    assert welsh.area == "Cwm Taf Morgannwg Regional Safeguarding Board"

    scottish = found["glasgow-learning-review.pdf"]
    assert (scottish.nation, scottish.review_type) == ("Scotland", "learning review")
    assert scottish.area != "J. Smith"  # a person, not a partnership

    assert found["microsoft-title.pdf"].title == "Microsoft Title"  # producer junk is not a title


def test_the_cover_names_the_partnership_the_review_type_and_the_date(tmp_path: Path):
    # Real reviews often have no useful metadata (the producer's defaults, a creation date from a later
    # re-save) and a file name of numbers; their cover says who published them, what they are, and when.
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "0412.pdf").write_bytes(make_pdf(
        "A REPORT FOR THE NORTHMOOR SAFEGUARDING CHILDREN PARTNERSHIP\nChild Safeguarding Practice Review\n"
        "Child F\nThe incident happened in October 2020.\nPublished: 14 March 2022",
        metadata={"/CreationDate": "D:20240105093000Z"}))
    (folder / "0413.pdf").write_bytes(make_pdf(
        "Child Practice Review\nCwm Taf Morgannwg Regional Safeguarding Board\nJune 2021", metadata={}))
    (folder / "0414.pdf").write_bytes(make_pdf("The report went to the Safeguarding Board.", metadata={}))
    (folder / "0415.pdf").write_bytes(make_pdf(
        "PREPARED BY J. SMITH FOR WESTSHIRE CHILDREN'S SAFEGUARDING PARTNERSHIP", metadata={}))
    (folder / "0416.pdf").write_bytes(make_pdf("A report for the Local Safeguarding Children Board", metadata={}))
    (folder / "0418.pdf").write_bytes(make_pdf(
        "Learning Review\nChild H\n2023\nIn 2019 the family moved; see Working Together 2018.",
        metadata={"/CreationDate": "D:20250105093000Z"}))
    (folder / "0419.pdf").write_bytes(make_pdf(
        "Home again: returning children home Learning review 2024\nThe children went home in 2019.",
        metadata={"/CreationDate": "D:20250105093000Z"}))
    (folder / "0420.pdf").write_bytes(make_pdf(
        "Working Together 2018\nThe partnership met in March,\nas found by the national review 2020",
        metadata={"/CreationDate": "D:20250105093000Z"}))
    (folder / "scotland").mkdir()
    (folder / "scotland" / "0417.pdf").write_bytes(make_pdf(
        "Learning review\nThe family had lived in Wales before moving north.", metadata={}))
    found = by_source(manifest_from_folder(folder))
    english = found["0412.pdf"]
    assert (english.area, english.review_type, english.year) == (
        "Northmoor Safeguarding Children Partnership", "CSPR", 2022)
    assert "area" in english.notes and "year" in english.notes  # guesses, to be checked
    welsh = found["0413.pdf"]
    assert (welsh.area, welsh.review_type, welsh.nation, welsh.year) == (
        "Cwm Taf Morgannwg Regional Safeguarding Board", "CPR", "Wales", 2021)
    # a year printed on its own line is the cover's date; years inside sentences and a later re-save are not
    assert found["0418.pdf"].year == 2023
    # so is a year closing the line that names the document ("... Learning review 2024"), and not a guidance's
    assert found["0419.pdf"].year == 2024 and found["0420.pdf"].year == 2025
    # the PDF's own date, of a later save, is not taken for the publication date when it is in another year
    assert found["0419.pdf"].published is None and "published left empty" in found["0419.pdf"].notes
    assert found["0420.pdf"].published == datetime.date(2025, 1, 5)
    assert found["0414.pdf"].area == "unknown"  # a board named without its place is not an area
    assert found["0416.pdf"].area == "unknown"
    assert found["0415.pdf"].area == "Westshire Children's Safeguarding Partnership"  # not "J. Smith For ..."
    # the folder's nation wins over a nation the cover mentions in passing; the cover still gives the type
    scottish = found["scotland/0417.pdf"]
    assert (scottish.nation, scottish.review_type) == ("Scotland", "learning review")


def test_a_folder_without_pdfs_is_refused_and_nothing_is_written(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a review")
    result = CliRunner().invoke(main, ["manifest", "from-folder", str(tmp_path)])
    assert result.exit_code == 2 and "No PDF files in" in result.output and "Put the review PDFs" in result.output
    assert not (tmp_path / "manifest.csv").exists()


def test_from_folder_names_documents_in_another_form_than_pdf(tmp_path: Path):
    (tmp_path / "wales").mkdir()
    (tmp_path / "wales" / "cpr-2020-family-x.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "Child F 2019.RTF").write_bytes(b"{\\rtf1 Child F}")
    (tmp_path / "notes.txt").write_text("not a review")
    refused = CliRunner().invoke(main, ["manifest", "from-folder", str(tmp_path)])
    assert refused.exit_code == 2 and "No PDF files in" in refused.output
    assert ("It holds 2 documents in another form (Child F 2019.RTF, cpr-2020-family-x.docx): open each and save "
            "it as a PDF in the folder.") in refused.output
    (tmp_path / "child-d-2021.pdf").write_bytes(make_pdf("Child D"))
    written = CliRunner().invoke(main, ["manifest", "from-folder", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert "Wrote" in written.output and "1 review" in written.output
    assert ("Not listed: 2 documents in another form than PDF (only PDFs are read)." in written.output
            and "  - Child F 2019.RTF\n  - wales/cpr-2020-family-x.docx\n" in written.output)
    assert "notes.txt" not in written.output


def test_unreadable_pdfs_still_get_a_row(review_folder: Path):
    found = by_source(manifest_from_folder(review_folder))
    broken, encrypted = found["broken.pdf"], found["encrypted-2018-scr.pdf"]
    assert "could not be opened (damaged or not a PDF)" in broken.notes
    assert "year unknown" in broken.notes and broken.year == THIS_YEAR
    assert "could not be opened (encrypted)" in encrypted.notes
    assert ("not a PDF but an older Word, Excel or PowerPoint file (.doc, .xls or .ppt) (save it as a PDF"
            in found["word-2019-cspr.pdf"].notes)
    assert (encrypted.year, encrypted.review_type, encrypted.title) == (2018, "SCR", "Encrypted 2018 SCR")
    # no checksum for a file to be replaced: the review PDF put in its place must not be refused for differing
    assert broken.sha256 is encrypted.sha256 is found["word-2019-cspr.pdf"].sha256 is None
    assert found["northmoor-2019-child-d.pdf"].sha256


def test_a_reference_number_is_not_the_year_and_a_nation_in_passing_is_not_the_nation(tmp_path: Path):
    # Welsh reviews carry the reference of the year they were commissioned ("CLRSB 04/2021") in their title;
    # a review's story may name another nation ("moved to Scotland"); neither says where or when it was published
    (tmp_path / "Child H.pdf").write_bytes(make_pdf(
        "Concise Child Practice Review\nCwm Llwyd Regional Safeguarding Board\nReview reference CLRSB 04/2021\n"
        "February 2022", metadata={"/Title": "Child Practice Review - Child H (CLRSB 04/2021)",
                                   "/CreationDate": "D:20220216090000Z"}))
    (tmp_path / "Baby T.pdf").write_bytes(make_pdf(
        "Rapid Review - Baby T\nNorthmoor Safeguarding Children Partnership\nThe mother returned to her own home "
        "in Scotland.\nApril 2024", metadata={"/CreationDate": "D:20240418090000Z"}))
    (tmp_path / "Child P.pdf").write_bytes(make_pdf(
        "Significant Case Review\nDunmore Child Protection Committee\nThe family had lived in Wales.\nMay 2019",
        metadata={}))
    (tmp_path / "2021-03-15 Westshire Child F.pdf").write_bytes(make_pdf("Child F", metadata={}))
    (tmp_path / "annual-2021-22.pdf").write_bytes(make_pdf(
        "Annual report\nWestshire Safeguarding Children Partnership\nJuly 2022",
        metadata={"/CreationDate": "D:20230105093000Z"}))
    found = by_source(manifest_from_folder(tmp_path))
    welsh = found["Child H.pdf"]
    assert (welsh.year, welsh.published, welsh.nation) == (2022, datetime.date(2022, 2, 16), "Wales")
    assert (found["Baby T.pdf"].nation, found["Baby T.pdf"].review_type) == ("England", "rapid review")
    assert (found["Child P.pdf"].nation, found["Child P.pdf"].year) == ("Scotland", 2019)
    annual = found["annual-2021-22.pdf"]
    assert (annual.year, annual.nation, annual.published) == (2022, "England", None)
    assert "not in the year 2022 found on its cover" in annual.notes  # says where the year was found
    assert found["2021-03-15 Westshire Child F.pdf"].year == 2021  # a date in the name still gives its year


def test_add_new_adds_rows_for_new_pdfs_and_keeps_the_corrected_ones(tmp_path: Path):
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "northmoor-2019-child-d.pdf").write_bytes(make_pdf("Child D", metadata={}))
    runner = CliRunner()
    target = folder / "manifest.csv"
    assert runner.invoke(main, ["manifest", "from-folder", str(folder), "--add-new"]).exit_code == 2  # none yet
    assert runner.invoke(main, ["manifest", "from-folder", str(folder)]).exit_code == 0
    corrected = target.read_text(encoding="utf-8-sig").replace(",Northmoor,", ",Northmoor Safeguarding Partnership,")
    target.write_text(corrected.replace("\n", "\n\n", 1), encoding="utf-8-sig")  # a blank line: the row on 3
    (folder / "Child E 2020.pdf").write_bytes(make_pdf("Child E", metadata={}))
    (folder / "Child E 2020 (1).pdf").write_bytes((folder / "Child E 2020.pdf").read_bytes())
    (folder / "child-d-copy.pdf").write_bytes((folder / "northmoor-2019-child-d.pdf").read_bytes())
    refused = runner.invoke(main, ["manifest", "from-folder", str(folder)])
    assert refused.exit_code == 2 and "To add the PDFs it does not list yet" in refused.output and "--add-new" in (
        refused.output)
    added = runner.invoke(main, ["manifest", "from-folder", str(folder), "--add-new"])
    assert added.exit_code == 0, added.output
    assert "Added 1 review to" in added.output and "its other row is as it was" in added.output
    assert "  + line 3, child-e-2020: Child E 2020.pdf" in added.output  # its line in the file as written again
    assert "  - Child E 2020 (1).pdf (the same file as Child E 2020.pdf)" in added.output
    assert "  - child-d-copy.pdf (the same file as northmoor-2019-child-d.pdf)" in added.output
    rows = load_manifest(target).entries
    assert [(e.review_id, e.area, e.year) for e in rows] == [
        ("northmoor-2019-child-d", "Northmoor Safeguarding Partnership", 2019), ("child-e-2020", "unknown", 2020)]
    again = runner.invoke(main, ["manifest", "from-folder", str(folder), "--add-new"])
    assert "Nothing to add:" in again.output and load_manifest(target).entries == rows
    (folder / "northmoor-2019-child-d.pdf").unlink()
    gone = runner.invoke(main, ["manifest", "from-folder", str(folder), "--add-new"])
    assert "Still listed, but the file is not there any more (1)" in gone.output
    assert "  - line 2, northmoor-2019-child-d: northmoor-2019-child-d.pdf" in gone.output
    assert len(load_manifest(target).entries) == 2  # the row is kept, for the user to decide
    both = runner.invoke(main, ["manifest", "from-folder", str(folder), "--add-new", "--force"])
    assert both.exit_code == 2 and "give one of them" in both.output


def test_a_title_in_a_file_name_is_not_an_area_and_a_year_from_the_saved_date_is_checked(tmp_path: Path):
    # file names as people save them: a title and a publisher, no place
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "Home again NSPCC report.pdf").write_bytes(make_pdf("Home again", metadata={}))
    (folder / "Reunification lit review 2015.pdf").write_bytes(make_pdf("Reunification", metadata={}))
    (folder / "westshire-2021-child-a.pdf").write_bytes(make_pdf("Child A", metadata={}))
    # nothing gives a year but the day the PDF was saved
    (folder / "child-b.pdf").write_bytes(make_pdf("Child B", metadata={"/CreationDate": "D:20240105093000Z"}))
    found = by_source(manifest_from_folder(folder))
    assert found["Home again NSPCC report.pdf"].area == "unknown"
    assert found["Reunification lit review 2015.pdf"].area == "unknown"
    assert found["westshire-2021-child-a.pdf"].area == "Westshire"  # a place before the year still is one
    saved = found["child-b.pdf"]
    assert saved.year == 2024 and "year only from the date the PDF was saved: check it" in saved.notes
    assert "date the PDF was saved" not in found["Reunification lit review 2015.pdf"].notes
    runner = CliRunner()
    assert runner.invoke(main, ["manifest", "from-folder", str(folder)]).exit_code == 0
    checked = runner.invoke(main, ["manifest", "check", str(folder / "manifest.csv")])
    said = " ".join(checked.output.split())
    assert "the area is 'unknown'" in said
    assert "the year 2024 is only the date the PDF was saved" in said


def test_check_says_what_a_local_source_that_is_no_plain_file_is(tmp_path: Path) -> None:
    import os
    import unicodedata

    (tmp_path / "loop.pdf").symlink_to(tmp_path / "loop.pdf")
    os.mkfifo(tmp_path / "pipe.pdf")
    (tmp_path / unicodedata.normalize("NFC", "café.pdf")).write_bytes(make_pdf("Child C"))
    sources = ["loop.pdf", "pipe.pdf", "a" * 300 + ".pdf", unicodedata.normalize("NFD", "café.pdf")]
    manifest = tmp_path / "m.csv"
    manifest.write_text("review_id,title,area,nation,review_type,year,source\n" + "".join(
        f"r-{n},R,Northmoor,England,CSPR,2020,{source}\n" for n, source in enumerate(sources)), encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(manifest)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Note: 3 files named in the source column are not there" in said
    assert "loop.pdf (a symbolic link that leads round in a loop to itself: name the PDF itself)" in said
    assert "pipe.pdf (that is a named pipe or a device, not a file: name the PDF itself)" in said
    assert ".pdf (the system cannot open it: check the name and its folders (a name too long" in said
    assert "r-3" not in said  # the accent written another way is the same file


def test_review_ids_are_made_unique(review_folder: Path):
    found = by_source(manifest_from_folder(review_folder))
    assert found["Child D.pdf"].review_id == "child-d"
    assert found["child-d.pdf"].review_id == "child-d-2"
    ids = [e.review_id for e in found.values()]
    assert len(ids) == len(set(ids))


def test_sources_are_relative_to_the_manifest_folder(review_folder: Path):
    manifest_path = review_folder.parent / "manifest.csv"
    entries = manifest_from_folder(review_folder / "wales", manifest_path=manifest_path)
    assert [e.source for e in entries] == ["reviews/wales/cpr-2020-family-x.pdf"]
    with pytest.raises(ManifestError, match="outside the manifest's folder"):
        manifest_from_folder(review_folder, manifest_path=review_folder / "wales" / "manifest.csv")
    with pytest.raises(ManifestError, match="Folder not found"):
        manifest_from_folder(review_folder / "nowhere")


def test_drafted_manifest_round_trips_through_load(review_folder: Path):
    entries = manifest_from_folder(review_folder)
    path = review_folder / "manifest.csv"
    write_manifest(entries, path)
    manifest = load_manifest(path)
    assert manifest.entries == entries
    for entry in manifest.entries:
        assert entry.local_path(manifest.folder).is_file()


def test_slugify():
    assert slugify("Child D (2019) – Final") == "child-d-2019-final"
    assert slugify("  ..  ") == "review"


def test_a_stray_quote_that_swallows_later_rows_is_named_not_passed_over(tmp_path: Path):
    # A quote opened in a cell and never closed makes CSV read the next lines into that cell: without a check
    # the manifest "has no problems" and the reviews on those lines are silently left out.
    text = csv_text([row(review_id=f"northmoor-2019-child-{letter}") for letter in "abcd"])
    lines = text.split("\n")
    lines[2] = lines[2].replace(",Child D,", ',"Child D (from the old site,', 1)  # opened, never closed
    problems = problems_of(write_csv(tmp_path, "\n".join(lines)))
    assert len(problems) == 1, problems
    assert ("demo.csv line 3, field 'title': the double quote (\") in this cell is not closed until line 5, so "
            "lines 4-5 were read as part of this cell instead of as rows of their own") in problems[0]
    # review ids with underscores and dots are ids too
    text = csv_text([row(review_id=f"northmoor_2019.child-{letter}") for letter in "abcd"])
    lines = text.split("\n")
    lines[2] = lines[2].replace(",Child D,", ',"Child D (from the old site,', 1)
    assert "lines 4-5 were read as part of this cell" in problems_of(write_csv(tmp_path, "\n".join(lines)))[0]
    # a note spread over lines, commas and all, is still one cell of one row
    notes = ("Seen at three addresses, in two areas,\nand by four agencies, none of them, it seems, told\n"
             "see, pages 4, 5, and 6 of the review")
    manifest = load_manifest(write_csv(tmp_path, csv_text([row(notes=notes)]), name="notes.csv"))
    assert [entry.notes for entry in manifest.entries] == [notes]


def test_a_title_above_the_column_names_is_named_with_where_the_names_are(tmp_path: Path):
    """A spreadsheet often has a title above its table: the manifest says where the column names are, rather than
    calling the title an unknown column and every column missing."""
    path = tmp_path / "m.csv"
    path.write_text("Safeguarding reviews 2024;;;;;;\n\nreview_id;title;area;nation;review_type;year;source\n"
                    "a-1;Child A;Northmoor;England;CSPR;2020;a.pdf\n", encoding="utf-8")
    with pytest.raises(ManifestError) as error:
        load_manifest(path)
    assert "the column names are on line 3, not line 1: delete the lines above them" in str(error.value)
    assert "unknown column" not in str(error.value) and "missing required" not in str(error.value)
