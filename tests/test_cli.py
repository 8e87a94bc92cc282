"""The commands people type: help texts, manifest checking and writing, user errors without tracebacks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus_manifest" / "demo"


def test_every_command_has_help_for_people() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and len(command.help) > 40, f"{name} needs a real help text"


def test_manifest_check_reports_problems_with_line_numbers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "review_id,title,area,nation,review_type,year,source\n"
        "a,Title,Area,England,CSPR,1890,a.pdf\n"
        "a,Title,Area,Narnia,CSPR,2020,ftp://example.org/a.pdf\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output and "line 3" in result.output
    assert "Traceback" not in result.output
    good = CliRunner().invoke(main, ["manifest", "check", str(ROOT / "corpus_manifest" / "demo.csv")])
    assert good.exit_code == 0 and "23 reviews" in good.output


def test_manifest_from_folder_writes_a_loadable_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for name in ("northmoor-2016-child-d.pdf", "cwm-llwyd-2022-child-h.pdf"):
        shutil.copy(DEMO / name, folder / name)
    # a second download of one of them, as a browser names it: left out, and said so
    shutil.copy(DEMO / "northmoor-2016-child-d.pdf", folder / "northmoor-2016-child-d (1).pdf")
    out = tmp_path / "manifest.csv"
    result = CliRunner().invoke(main, ["manifest", "from-folder", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and ": 2 reviews (" in result.output
    assert ("Left out 1 file identical to another one listed (a review listed twice would be counted twice):\n"
            "  - pdfs/northmoor-2016-child-d (1).pdf (the same file as pdfs/northmoor-2016-child-d.pdf)"
            ) in result.output
    loaded = load_manifest(out)
    assert len(loaded.entries) == 2
    assert [e.line for e in loaded.entries] == [2, 3]
    by_year = {e.year for e in loaded.entries}
    assert by_year == {2016, 2022}
    again = CliRunner().invoke(main, ["manifest", "from-folder", str(folder), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    # a copy with a shorter name, in a folder of its own, is still the copy: the original is kept
    (folder / "sub").mkdir()
    shutil.copy(DEMO / "cwm-llwyd-2022-child-h.pdf", folder / "sub" / "h - Copy.pdf")
    moved = CliRunner().invoke(main, ["manifest", "from-folder", str(folder), "--out", str(out), "--force"])
    assert moved.exit_code == 0, moved.output
    assert "  - pdfs/sub/h - Copy.pdf (the same file as pdfs/cwm-llwyd-2022-child-h.pdf)" in moved.output


def test_status_without_database_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    """The default database not made yet: run the pipeline. A database named with --db that is not there is
    more likely a mistyped name: check it, or make it with that --db."""
    missing = tmp_path / "none.duckdb"
    monkeypatch.setenv("CASEREVIEW_DB", str(missing))
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    assert (f"{missing}: no database yet (the file CASEREVIEW_DB names: check that name): run `casereview run "
            "--manifest YOUR_MANIFEST.csv` first") in " ".join(result.output.split())
    monkeypatch.delenv("CASEREVIEW_DB")
    monkeypatch.setenv("CASEREVIEW_OUTPUTS", str(tmp_path / "outputs"))  # a default database not made yet
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    assert "no database yet: run `casereview run --manifest YOUR_MANIFEST.csv` first" in " ".join(result.output.split())
    for command in (["status"], ["sql", "SELECT 1"], ["search", "care"], ["trends"]):
        result = CliRunner().invoke(main, [*command, "--db", str(missing)])
        assert result.exit_code == 2, command
        assert (f"{missing}: no database there. Check the file name given with --db (or in CASEREVIEW_DB); to make "
                f"it, run `casereview run --manifest YOUR_MANIFEST.csv --db {missing}`"
                ) in " ".join(result.output.split()), command
    # the name typed without ".duckdb", beside the database it names
    import duckdb

    duckdb.connect(str(tmp_path / "mine.duckdb")).close()
    result = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "mine")])
    assert result.exit_code == 2 and f"no database there. Did you mean {tmp_path / 'mine.duckdb'}?" in " ".join(
        result.output.split()), result.output


MANIFEST_HEADER = "review_id,title,area,nation,review_type,year,source\n"


def _check_manifest(folder: Path, sources: list[tuple[str, str]]) -> str:
    """Write a manifest of (review_id, source) rows in ``folder``, run `manifest check` on it and return its
    output (the check must succeed)."""
    rows = "".join(f"{rid},Review {rid},Northmoor,England,CSPR,2020,{source}\n" for rid, source in sources)
    (folder / "m.csv").write_text(MANIFEST_HEADER + rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(folder / "m.csv")])
    assert result.exit_code == 0, result.output
    return result.output


def test_manifest_check_notes_a_source_listed_twice(tmp_path: Path) -> None:
    header = "review_id,title,area,nation,review_type,year,source\n"
    rows = [f"{rid},Review {rid},Northmoor,England,CSPR,2020,{source}\n" for rid, source in
            (("a", "reviews/a.pdf"), ("b", "reviews/b.pdf"), ("c", "./reviews/a.pdf"),
             ("d", "https://example.org/d.pdf#page=2"), ("e", "https://example.org/d.pdf"))]
    (tmp_path / "m.csv").write_text(header + "".join(rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(tmp_path / "m.csv")])
    assert result.exit_code == 0
    assert "5 reviews, no problems found" in result.output
    assert "  - lines 2 and 4: reviews/a.pdf\n  - lines 5 and 6: https://example.org/d.pdf" in result.output
    single = tmp_path / "one.csv"
    single.write_text(header + rows[0], encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(single)])
    assert result.output.splitlines()[0].endswith("1 review, no problems found")
    assert "more than one line" not in result.output


def test_manifest_check_notes_values_that_look_wrong_or_unfinished(tmp_path: Path) -> None:
    """Allowed values that put a review in the wrong summary without any error: what `from-folder` could not
    find, a publication date before the review's year, another nation's review type, a file that changed."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 first version")
    rows = ("review_id,title,area,nation,review_type,year,published,source,sha256,notes\n"
            "a,Child A,unknown,England,CSPR,2026,,a.pdf,,year unknown: fill it in (the current year was put in)\n"
            "b,Child B,Brackenfield,Wales,CSPR,2023,03/05/2022,b.pdf,,\n"
            f"c,Child C,Brackenfield,England,SCR,2021,,a.pdf,{'0' * 64},\n"
            "d,Child D,Brackenfield,Wales,CPR,2021,05/03/2022,d.pdf,,\n")
    (tmp_path / "m.csv").write_text(rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(tmp_path / "m.csv")])
    assert result.exit_code == 0, result.output
    notes = result.output.split("look wrong or unfinished; a run takes them as they are:\n", 1)[1].splitlines()
    assert [note.split(":", 1)[0] for note in notes] == [
        "  - line 2, a", "  - line 2, a", "  - line 3, b", "  - line 3, b", "  - line 4, c"]
    assert "the area is 'unknown': fill in the partnership" in notes[0]
    assert "the year was not found in the PDF, and 2026 was put in for now" in notes[1]
    assert "published 03/05/2022, before the review's year 2023" in notes[2]
    assert "a CSPR is a review of England, but the nation is Wales" in notes[3]
    assert "the file has changed since its sha256 was written" in notes[4]  # line 5 (d) is as it should be


def test_manifest_check_says_which_encoding_it_read_and_what_to_check(tmp_path: Path) -> None:
    text = ("review_id,title,area,nation,review_type,year,source\n"
            "a,Children\u2019s services review,Ynys M\u00f4n,Wales,CPR,2021,a.pdf\n")
    (tmp_path / "m.csv").write_bytes(text.encode("cp1252"))
    result = CliRunner().invoke(main, ["manifest", "check", str(tmp_path / "m.csv")])
    assert result.exit_code == 0, result.output
    assert "1 review, no problems found\nNote: m.csv is not UTF-8 text; it was read as Windows-1252" in result.output
    assert "'Children\u2019s' (line 2), 'M\u00f4n' (line 2)" in result.output
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    assert "UTF-8" not in CliRunner().invoke(main, ["manifest", "check", str(tmp_path / "u.csv")]).output


def test_manifest_check_names_files_that_are_not_there_and_the_likely_one(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "Child-D.PDF").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "reviews" / "child-e.pdf").write_bytes(b"%PDF-1.4\n")
    output = _check_manifest(tmp_path, [
        ("d", "reviews/child-d.pdf"), ("e", "reviews/child-e.pdf"), ("f", "reviews/child-f-final.pdf"),
        ("g", "https://example.org/g.pdf"), ("h", "www.northmoor.gov.uk/reviews/child-h.pdf")])
    assert ("Note: 3 files named in the source column are not there (paths are relative to the manifest's "
            "folder); a run records such reviews as failed:\n"
            "  - line 2, d: reviews/child-d.pdf (there is reviews/Child-D.PDF: is that it?)\n"
            "  - line 4, f: reviews/child-f-final.pdf\n"
            "  - line 6, h: www.northmoor.gov.uk/reviews/child-h.pdf (a web address without https:// in front? "
            "write https://www.northmoor.gov.uk/reviews/child-h.pdf)\n") in output


def test_manifest_check_names_files_that_are_not_pdfs_and_what_they_are(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "child-d.docx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "child-e.pdf").write_bytes(b"<!DOCTYPE html><html><body>Child E</body></html>")  # a saved page
    (tmp_path / "child-f.pdf").write_bytes(b"%PDF-1.4\n")
    output = _check_manifest(tmp_path, [("d", "child-d.docx"), ("e", "child-e.pdf"), ("f", "child-f.pdf")])
    assert ("Note: 2 files named in the source column are not PDFs; a run records such reviews as failed. Open "
            "each and save it as a PDF (a web page: download the review PDF it links to), then put that file's "
            "name in the source column:\n"
            "  - line 2, d: child-d.docx is a Word document (.docx)\n"
            "  - line 3, e: child-e.pdf is a web page\n") in output


def test_manifest_check_names_sharing_links_that_open_a_page(tmp_path: Path) -> None:
    output = _check_manifest(tmp_path, [
        ("a", "https://northmoor.sharepoint.com/:b:/s/Safeguarding/EaBc123?e=xyz"),
        ("b", "https://drive.google.com/file/d/1AbCdEfGhIjK_lm-N/view?usp=sharing"),  # fetched directly
        ("c", "https://www.dropbox.com/s/abc123/child-c.pdf?dl=0"),  # fetched directly
        ("d", "https://drive.google.com/drive/folders/1AbCdEfGhIjK_lm-N"),
        ("e", "https://www.northmoor.gov.uk/child-e.pdf")])
    assert ("Note: 2 sources are links to a file-sharing service that opens a page showing the file (and may ask to "
            "sign in), not the PDF; a run records such reviews as failed. Download each PDF and put its file name "
            "in the source column:\n"
            "  - line 2, a: https://northmoor.sharepoint.com/:b:/s/Safeguarding/EaBc123?e=xyz (SharePoint)\n"
            "  - line 5, d: https://drive.google.com/drive/folders/1AbCdEfGhIjK_lm-N (Google Drive)\n") in output


def test_run_summary_suggests_commands_for_the_database_it_filled(tmp_path: Path, monkeypatch) -> None:
    from pipeline.cli import format_summary

    monkeypatch.setenv("CASEREVIEW_DB", str(tmp_path / "default.duckdb"))
    other = tmp_path / "my reviews.duckdb"
    last = format_summary({"run_id": "r"}, other).splitlines()[-1]
    assert f"casereview status --db '{other}'" in last
    assert f"casereview sql --db '{other}' \"SELECT" in last
    last = format_summary({"run_id": "r"}, tmp_path / "default.duckdb").splitlines()[-1]
    assert "casereview status," in last and "--db" not in last


def test_a_pdf_whose_name_is_not_utf8_is_named_not_a_crash(tmp_path: Path) -> None:
    # A file saved on an older system or copied from a Windows share can have a name in Windows' encoding:
    # Python reads it with stand-in characters that cannot be written to a CSV or hashed as text.
    folder = tmp_path / "reviews"
    folder.mkdir()
    demo = Path(__file__).resolve().parent.parent / "corpus_manifest" / "demo"
    shutil.copy(demo / "northmoor-2016-child-d.pdf", folder / "child-d.pdf")
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9-review.pdf"))
    shutil.copy(demo / "northmoor-2024-baby-t.pdf", odd)
    result = CliRunner().invoke(main, ["manifest", "from-folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "1 review " in result.output
    assert "Not listed: 1 PDF whose name this system cannot read as text" in result.output
    assert "  - café-review.pdf" in result.output
    extracted = CliRunner().invoke(main, ["extract", str(odd)])
    assert extracted.exit_code == 0 and extracted.output.count('"text"') > 3


def test_extract_says_what_a_file_that_is_not_a_pdf_is_without_speaking_of_a_manifest(tmp_path: Path) -> None:
    # extract is given one file: there is no manifest or source column to put anything in
    for name, content, said in (
            ("notes.pdf", b"Child D was seen at home.", "the file is plain text, not a PDF: give the review's PDF"),
            ("page.pdf", b"<!DOCTYPE html><html><body>Review</body></html>",
             "the file is a web page, not a PDF: open the review's page in a browser, download the PDF itself"),
            ("empty.pdf", b"", "the file is empty: download or copy the review's PDF again")):
        (tmp_path / name).write_bytes(content)
        result = CliRunner().invoke(main, ["extract", str(tmp_path / name)])
        assert result.exit_code == 2 and f"{tmp_path / name}: {said}" in " ".join(result.output.split()), name
        assert "source column" not in result.output and "manifest" not in result.output


def test_manifest_check_says_a_source_that_is_a_folder_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    manifest = tmp_path / "m.csv"
    manifest.write_text("review_id,title,area,nation,review_type,year,source\n"
                        "a-2020-x,X,Northmoor,England,CSPR,2020,reviews\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "check", str(manifest)])
    assert "  - line 2, a-2020-x: reviews (that is a folder: name the PDF inside it)" in result.output


def test_a_folder_whose_name_is_not_utf8_still_gives_its_pdfs(tmp_path: Path) -> None:
    # only names the manifest must write count: the folder the manifest sits in may be called anything
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9"))
    folder.mkdir()
    demo = Path(__file__).resolve().parent.parent / "corpus_manifest" / "demo"
    shutil.copy(demo / "northmoor-2016-child-d.pdf", folder / "review-a.pdf")
    result = CliRunner().invoke(main, ["manifest", "from-folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 review " in result.output and "Not listed" not in result.output


def test_a_run_keeps_signals_it_was_started_ignoring_and_takes_the_others_as_a_stop():
    """`nohup casereview run` ignores SIGHUP so that the run outlives the terminal: the run must not undo that.
    The signals it handles are put back as they were when it ends."""
    import signal

    from pipeline.cli import _Stops

    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP on this system")
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    term = signal.getsignal(signal.SIGTERM)
    try:
        stops = _Stops()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == stops._interrupt
        stops.restore()
        assert signal.getsignal(signal.SIGTERM) == term
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_file_named_in_another_case_is_answered_with_the_file_that_is_there(tmp_path: Path) -> None:
    # click said only that the file does not exist, where manifest check names the file of the closest name
    from tests.http_server import make_pdf

    (tmp_path / "Child-D.PDF").write_bytes(make_pdf("Child D was not seen alone by any professional."))
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "child-d.pdf")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'child-d.pdf'}: no such file; the file of the closest name there is " \
           f"\"{tmp_path / 'Child-D.PDF'}\"" in " ".join(result.output.split())
    assert "does not exist" in CliRunner().invoke(main, ["extract", str(tmp_path / "nothing-like.pdf")]).output


def test_a_rerun_says_which_details_of_an_unchanged_review_the_manifest_changed(tmp_path: Path) -> None:
    # a year or area edited in the manifest moves a review's figures; the run said only "skipped (unchanged)"
    from tests.http_server import make_pdf

    (tmp_path / "child-d.pdf").write_bytes(make_pdf("Child D was not seen alone by any professional."))
    manifest = tmp_path / "reviews.csv"
    header = "review_id,title,area,nation,review_type,year,source\n"
    manifest.write_text(header + "northmoor-2019-child-d,Child D,Northmoor,England,CSPR,2019,child-d.pdf\n",
                        encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    args = ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes"]
    assert CliRunner().invoke(main, [*args, "--quiet"]).exit_code == 0
    manifest.write_text(header + "northmoor-2019-child-d,Child D,Northmoor & Vale,England,CSPR,2020,child-d.pdf\n",
                        encoding="utf-8")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "reviews skipped (unchanged): 1" in again.output
    assert "details updated from the manifest (the text was not read again; its figures now count under the new " \
           "details):\n    - northmoor-2019-child-d: area “Northmoor” → “Northmoor & Vale”; year 2019 → 2020" \
           in again.output
    third = CliRunner().invoke(main, args)
    assert third.exit_code == 0 and "details updated" not in third.output


def test_a_second_manifest_that_uses_a_review_id_for_another_review_says_it_replaced_it(tmp_path: Path) -> None:
    # "running a second manifest into the same database adds to it": two officers' manifests that both call a
    # review child-d replaced each other's, run by run, without a word
    from tests.http_server import make_pdf

    header = "review_id,title,area,nation,review_type,year,source\n"
    for folder, text in (("ours", "Child D was not seen alone."), ("theirs", "Child D's school shared its worries.")):
        (tmp_path / folder / "pdfs").mkdir(parents=True)
        (tmp_path / folder / "pdfs" / "child-d.pdf").write_bytes(make_pdf(text))
    (tmp_path / "ours" / "reviews.csv").write_text(
        header + "child-d,Child D,Northmoor,England,CSPR,2019,pdfs/child-d.pdf\n", encoding="utf-8")
    (tmp_path / "theirs" / "reviews.csv").write_text(
        header + "child-d,Child D,Eastmere,England,CSPR,2021,pdfs/child-d.pdf\n", encoding="utf-8")
    db = tmp_path / "reviews.duckdb"

    def run(folder: str) -> str:
        ran = CliRunner().invoke(main, ["run", "--manifest", str(tmp_path / folder / "reviews.csv"), "--db", str(db),
                                        "--no-themes"])
        assert ran.exit_code == 0, ran.output
        return ran.output

    assert "replaced reviews" not in run("ours")
    said = run("theirs")
    assert ("replaced reviews of the same id read from another manifest (if they are different reviews, give one "
            "of them another review_id in its manifest, and run both manifests again):\n"
            f"    - child-d: was pdfs/child-d.pdf (from {tmp_path / 'ours' / 'reviews.csv'}), now pdfs/child-d.pdf"
            ) in said
    assert "replaced reviews" not in run("theirs")  # the same manifest again: nothing replaced
    # a manifest that changes its own document replaces nothing of anyone else's
    (tmp_path / "theirs" / "pdfs" / "child-d.pdf").write_bytes(make_pdf("Child D's school shared its worries late."))
    assert "replaced reviews" not in run("theirs")
    # two manifests that list one review with the same document (a year's and a whole list): nothing replaced
    shutil.copy(tmp_path / "theirs" / "pdfs" / "child-d.pdf", tmp_path / "ours" / "pdfs" / "child-d.pdf")
    assert "replaced reviews" not in run("ours")
    # ... nor when that document changes, at the place both name (the review was last read through theirs)
    (tmp_path / "theirs" / "whole-list.csv").write_text(
        header + "child-d,Child D,Eastmere,England,CSPR,2021,pdfs/child-d.pdf\n", encoding="utf-8")
    (tmp_path / "theirs" / "pdfs" / "child-d.pdf").write_bytes(make_pdf("Child D's school shared its worries at last."))
    ran = CliRunner().invoke(main, ["run", "--manifest", str(tmp_path / "theirs" / "whole-list.csv"), "--db", str(db),
                                    "--no-themes"])
    assert ran.exit_code == 0 and "reviews processed: 1" in ran.output and "replaced reviews" not in ran.output


def test_remove_says_which_manifest_still_lists_the_review_and_needs_an_answer(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.http_server import make_pdf

    (tmp_path / "child-d.pdf").write_bytes(make_pdf("Child D was not seen alone by any professional."))
    (tmp_path / "child-e.pdf").write_bytes(make_pdf("Child E's school shared its worries with the police."))
    manifest = tmp_path / "reviews.csv"
    manifest.write_text("review_id,title,area,nation,review_type,year,source\n"
                        "northmoor-2019-child-d,Child D,Northmoor,England,CSPR,2019,child-d.pdf\n"
                        "northmoor-2020-child-e,Child E,Northmoor,England,CSPR,2020,child-e.pdf\n", encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # the manifest named as typed in its own folder...
    ran = runner.invoke(main, ["run", "--manifest", "reviews.csv", "--db", str(db), "--no-themes", "--quiet"])
    assert ran.exit_code == 0, ran.output
    # a run before migration 020 kept only the path as typed; a later one keeps it in full: one manifest, said once
    import duckdb

    from pipeline.cli import _manifests_listing
    from pipeline.store import Store

    assert runner.invoke(main, ["run", "--manifest", "reviews.csv", "--db", str(db), "--no-themes",
                                "--quiet"]).exit_code == 0
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE runs SET manifest_path = NULL WHERE run_id = (SELECT min(run_id) FROM runs)")
    assert [lines for _, lines in _manifests_listing(Store(db), ["northmoor-2019-child-d"])] == [
        ["line 2, northmoor-2019-child-d"]]
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # ...and reviews removed from another folder
    # no answer at all (a script, input that ends): nothing removed, and how to go without asking
    unanswered = runner.invoke(main, ["remove", "northmoor-2019-child-d", "--db", str(db)], input="")
    assert unanswered.exit_code == 2 and "nothing was removed: no answer came" in unanswered.output
    assert "pass --yes" in unanswered.output and "Aborted!" not in unanswered.output
    removed = runner.invoke(main, ["remove", "northmoor-2019-child-d", "--db", str(db), "--yes"])
    assert removed.exit_code == 0, removed.output
    assert (f"Still listed in {manifest} (line 2, northmoor-2019-child-d): take that line out, or the next run of "
            "that manifest reads it again.") in removed.output
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "northmoor-2020-child-e,", "northmoor-2020-child-e-renamed,"), encoding="utf-8")
    gone = runner.invoke(main, ["remove", "northmoor-2020-child-e", "--db", str(db), "--yes"])
    assert gone.exit_code == 0 and "Still listed" not in gone.output  # the manifest no longer lists it


def test_a_run_says_when_the_manifest_still_holds_values_put_in_for_now(tmp_path: Path) -> None:
    from tests.http_server import make_pdf

    folder = tmp_path / "my reviews"
    folder.mkdir()
    (folder / "Child F.pdf").write_bytes(make_pdf("Child F was seen at home by the health visitor.", metadata={}))
    runner = CliRunner()
    assert runner.invoke(main, ["manifest", "from-folder", str(folder)]).exit_code == 0
    manifest = folder / "manifest.csv"
    args = ["run", "--manifest", str(manifest), "--db", str(tmp_path / "r.duckdb"), "--no-themes", "--quiet"]
    ran = runner.invoke(main, args)
    assert ran.exit_code == 0, ran.output
    assert (f"Note: 1 review in {manifest} still has an area or year that `manifest from-folder` could not find "
            "and put in for now (child-f)") in ran.output
    assert f"`casereview manifest check '{manifest}'` lists them" in ran.output  # quoted: the folder has a space
    entry = load_manifest(manifest).entries[0]
    manifest.write_text(manifest.read_text(encoding="utf-8-sig").replace(",unknown,", ",Northmoor,").replace(
        entry.notes, ""), encoding="utf-8")
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "Note:" not in again.output


def test_a_run_says_why_it_reads_again_reviews_an_earlier_version_read(tmp_path: Path) -> None:
    import duckdb

    from tests.http_server import make_pdf

    (tmp_path / "child-g.pdf").write_bytes(make_pdf("Child G's school did not share its worries."))
    manifest = tmp_path / "reviews.csv"
    manifest.write_text("review_id,title,area,nation,review_type,year,source\n"
                        "northmoor-2019-child-g,Child G,Northmoor,England,CSPR,2019,child-g.pdf\n", encoding="utf-8")
    db = tmp_path / "reviews.duckdb"
    args = ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes", "--quiet"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0 and "read again" not in first.output
    with duckdb.connect(str(db)) as con:  # as if an earlier version had read it
        con.execute("UPDATE documents SET pipeline_version = '0.0.1+p1'")
    second = CliRunner().invoke(main, args)
    assert "reviews processed: 1" in second.output
    assert "  read again because an earlier version of casereview had read it: 1 (this version reads" in second.output
    third = CliRunner().invoke(main, args)
    assert "reviews skipped (unchanged): 1" in third.output and "read again" not in third.output


@pytest.mark.parametrize("command", [["topics", "fit"], ["label-sheet", "--out", "x.csv"], ["train"]])
def test_a_seed_out_of_range_is_a_usage_error_not_a_traceback(command: list[str], tmp_path: Path) -> None:
    for seed in ("-1", str(2**32)):
        result = CliRunner().invoke(main, [*command, "--seed", seed, "--db" if command[0] != "train" else "--no-dev",
                                           *([str(tmp_path / "none.duckdb")] if command[0] != "train" else [])])
        assert result.exit_code == 2 and "Invalid value for '--seed'" in result.output, result.output
        assert "Traceback" not in result.output
