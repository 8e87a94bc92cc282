"""``casereview searches``: a file of searches run together, through the command a researcher uses, on a real
database file."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.commands.outputs import searches_command
from pipeline.errors import CaseReviewError
from pipeline.outputs.searchset import read_searches
from pipeline.search import search_with_forms
from tests.test_search import build_corpus

SEARCHES = """\ufeff# Briefing: information between agencies
Sharing: "share information" OR "information sharing"

Police or school: information AND (police OR school)
wishes
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("searches") / "casereview.duckdb")


@pytest.fixture()
def searches_file(tmp_path: Path) -> Path:
    path = tmp_path / "briefing.txt"
    path.write_text(SEARCHES, encoding="utf-8")
    return path


def run(db: Path, *args: str):
    result = CliRunner().invoke(searches_command, [*args, "--db", str(db)])
    return result.exit_code, " ".join(result.output.split()), result


def test_a_file_of_searches_is_read_line_by_line_with_names(searches_file: Path):
    searches = read_searches(searches_file)
    assert [(s.line, s.name, s.query) for s in searches] == [
        (2, "Sharing", '"share information" OR "information sharing"'),
        (4, "Police or school", "information AND (police OR school)"),
        (5, "wishes", "wishes"),
    ]


def test_two_columns_pasted_from_a_spreadsheet_are_a_name_and_a_search():
    from pipeline.outputs.searchset import parse_searches

    pasted = 'Name\tSearch\nAt school\tneglect AND school\n\t"seen alone"\nWishes: wishes\n'
    assert [(s.line, s.name, s.query) for s in parse_searches(pasted, "The searches")] == [
        (2, "At school", "neglect AND school"), (3, '"seen alone"', '"seen alone"'), (4, "Wishes", "wishes")]


@pytest.mark.parametrize(("text", "said"), [
    ('Open: "seen alone\nfine: neglect\nfine: school\n',
     ['line 1: the search \'"seen alone\' has an opening double quote', "line 3: the name 'fine' is also on line 2",
      "Mend these lines and run the searches again (nothing was searched)"]),
    ("(neglect OR abuse AND school\n", ["line 1: the search '(neglect OR abuse AND school' opens a bracket"]),
    ("# only a comment\n\n", ["holds no searches: write one search a line"]),
    # a line of nothing but an invisible character (a zero-width space pasted alone) is a blank line
    ("neglect\n\u200b\n--theme voice_of_child\n", ["line 3: '--theme' is an option"]),
    # an option of the command written into the file is not searched as words
    ("neglect\n--theme voice_of_child\nAt school: school --year-from=2020\n",
     ["line 2: '--theme' is an option, not words to search for: options are given once for all the searches",
      "line 3: '--year-from' is an option"]),
])
def test_lines_that_cannot_be_searched_are_all_named_before_anything_is_searched(tmp_path: Path, text: str,
                                                                                  said: list[str]):
    path = tmp_path / "searches.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseReviewError) as error:
        read_searches(path)
    for part in said:
        assert part in str(error.value)


def test_a_line_of_invisible_characters_is_a_blank_line(tmp_path: Path):
    path = tmp_path / "searches.txt"
    path.write_text("neglect\n\u200b\n\u00ad \nschool\n", encoding="utf-8")
    assert [(s.line, s.query) for s in read_searches(path)] == [(1, "neglect"), (4, "school")]


def test_a_missing_or_unreadable_file_is_named(tmp_path: Path, db: Path):
    code, said, _ = run(db, str(tmp_path / "nowhere.txt"))
    assert code == 2 and "nowhere.txt: no such file: give the file that lists the searches" in said
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)))
    code, said, _ = run(db, str(binary))
    assert code == 2 and "is not UTF-8 text: save it as plain text (UTF-8)" in said
    # Notepad or Excel on Windows may save it in Windows-1252: read as it was written
    windows = tmp_path / "windows.txt"
    windows.write_bytes("Child’s wishes: wishes\nSharing information: information\n".encode("cp1252"))
    assert [s.name for s in read_searches(windows)] == ["Child’s wishes", "Sharing information"]


def test_a_searches_file_saved_as_csv_by_a_spreadsheet_is_read_as_its_two_columns(tmp_path: Path):
    # read as plain lines, its header row was searched as "Name,Search" and each search was named after its line
    saved = tmp_path / "briefing.csv"
    saved.write_bytes('\ufeffName,Search\r\nSeen alone,"""seen alone"" OR ""spoken to alone"""\r\n'
                      'Feelings,"wishes, feelings"\r\nwishes,\r\n'.encode())
    assert [(s.line, s.name, s.query) for s in read_searches(saved)] == [
        (2, "Seen alone", '"seen alone" OR "spoken to alone"'), (3, "Feelings", "wishes, feelings"),
        (4, "wishes", "wishes")]
    semicolons = tmp_path / "europe.csv"
    semicolons.write_text("Name;Search\nAt school;neglect AND school\n", encoding="utf-8")
    assert [(s.name, s.query) for s in read_searches(semicolons)] == [("At school", "neglect AND school")]
    # one search a line written by hand, named .csv: its quotes and commas are the searches' own
    by_hand = tmp_path / "by-hand.csv"
    by_hand.write_text('"professional curiosity"\nSeen alone: "seen alone", "spoken to alone"\n', encoding="utf-8")
    assert [(s.name, s.query) for s in read_searches(by_hand)] == [
        ('"professional curiosity"', '"professional curiosity"'), ("Seen alone", '"seen alone", "spoken to alone"')]


def test_a_line_that_is_a_themes_name_says_it_counts_words_not_the_theme(db: Path, tmp_path: Path):
    # "Voice of the child" counted the passages using "voice" or "child", beside the theme's own figures, unsaid
    path = tmp_path / "themes.txt"
    path.write_text("Voice of the child\nwishes\n", encoding="utf-8")
    code, said, result = run(db, str(path))
    assert code == 0, result.output
    assert "Note: Looking for the learning theme Voice of the child? It tags " in said
    assert "this line counts the passages using its words, not the theme's tags (the themes are counted by " \
           "casereview trends, and in the annual summary)." in said
    assert said.count("Looking for the learning theme") == 1


def test_each_search_is_counted_as_the_search_command_counts_it(db: Path, searches_file: Path):
    code, said, result = run(db, str(searches_file))
    assert code == 0, result.output
    read = search_with_forms(db, "wishes", by_review=True).reviews_read
    assert read > 1 and f"3 searches from {searches_file}, on the {read} reviews read:" in said
    for number, search in enumerate(read_searches(searches_file), start=1):
        alone = search_with_forms(db, search.query, by_review=True)
        assert alone.total and f"{number}. {search.name}" in said, search
        assert f"{alone.total} passages in {len(alone.by_review)} of the {read} reviews" in said, search
    # OR between the phrases finds either; the brackets need one of their words
    assert "Note: each passage found holds \"share information\" or \"information sharing\"" in said
    # year by year: the reviews read, and a row per search of the reviews it finds passages in
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["search"])
    years = [int(year) for year in lines[at].split()[1:]]
    sharing = search_with_forms(db, read_searches(searches_file)[0].query, by_review=True)
    assert lines[at + 1].split() == ["read", *(str(read) for _, _, read in sharing.by_year)]
    assert dict(zip(years, map(int, lines[at + 2].split()[1:]), strict=True)) == {
        year: found for year, found, _ in sharing.by_year}
    assert "add --out briefing.xlsx" in said


def test_saved_as_excel_with_a_sheet_each_and_where_it_came_from(db: Path, searches_file: Path, tmp_path: Path):
    out = tmp_path / "briefing.xlsx"
    code, said, result = run(db, str(searches_file), "--limit", "2", "--out", str(out))
    assert code == 0 and f"Wrote {out}: 3 searches" in said, result.output
    # what each search found is said as without --out (the guide's briefing step promises it)
    assert "3 searches from" in said and "Year by year, the reviews read" in said
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Searches", "By year", "Reviews", "Passages", "Columns", "Provenance"]
    summary = list(book["Searches"].values)
    assert [row[1] for row in summary[1:]] == ["Sharing", "Police or school", "wishes"]
    passages = list(book["Passages"].values)
    header = passages[0]
    saved = [row[header.index("search")] for row in passages[1:]]
    for row in summary[1:]:
        name, total = row[1], row[summary[0].index("passages_matching")]
        assert saved.count(name) == min(total, 2), name  # the best two of each, the counts of them all
    reviews = list(book["Reviews"].values)
    found = [row[reviews[0].index("search")] for row in reviews[1:]]
    assert [found.count(row[1]) for row in summary[1:]] == [row[summary[0].index("reviews_with_passages")]
                                                            for row in summary[1:]]
    about = dict(list(book["Provenance"].values)[1:])
    assert about["searches_file_sha256"] == hashlib.sha256(searches_file.read_bytes()).hexdigest()
    assert about["searches"] == 3 and about["reviews"] == "all"
    columns = dict(list(book["Columns"].values)[1:])
    assert "reviews_with_passages" in columns and "passage" in columns


def test_saved_as_markdown_refused_as_csv_and_printed_as_json(db: Path, searches_file: Path, tmp_path: Path):
    out = tmp_path / "briefing.md"
    assert run(db, str(searches_file), "--out", str(out))[0] == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Searches") and "## By year" in text and "## 2. Police or school" in text
    assert "| # | Search | What was searched | Passages | Reviews | Note |" in text
    code, said, _ = run(db, str(searches_file), "--out", str(tmp_path / "briefing.csv"))
    assert code == 2 and "several tables, which one CSV file cannot hold" in said
    assert not (tmp_path / "briefing.csv").exists()
    _, _, result = run(db, str(searches_file), "--json", "--nation", "Wales")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [record["name"] for record in records] == ["Sharing", "Police or school", "wishes"]
    assert all(record["reviews_read"] == 2 for record in records)  # the Welsh reviews read
    wales = search_with_forms(db, '"share information" OR "information sharing"', nation="Wales", by_review=True)
    assert records[0]["passages_matching"] == wales.total


def test_a_search_that_cannot_run_is_named_by_its_line_and_nothing_is_saved(db: Path, tmp_path: Path):
    path = tmp_path / "searches.txt"
    path.write_text("neglect\nOnly out: -police\n", encoding="utf-8")
    out = tmp_path / "briefing.xlsx"
    code, said, _ = run(db, str(path), "--out", str(out))
    assert code == 2 and "line 2: the search '-police' only leaves passages out" in said
    assert "Mend this line and run the searches again (nothing was searched)" in said and not out.exists()
    # every line is checked before anything is searched, and each fault is named at once
    path.write_text("neglect\nAt school:\nneglect AND (school\nSchool: -police\nneglect\n", encoding="utf-8")
    code, said, _ = run(db, str(path))
    assert code == 2 and len(re.findall(r"[:;] line \d", said)) == 4 and "Mend these lines" in said, said
    assert "line 2: the name 'At school' has no search after it" in said
    assert "line 3: the search 'neglect AND (school' opens a bracket without closing it" in said
    assert "line 4: the search '-police' only leaves passages out" in said
    assert "line 5: the search 'neglect' is also on line 1: give it once" in said
    # a line named as an earlier one, with another search, is told about the name, not the search
    path.write_text("Neglect: neglect AND school\nneglect\n", encoding="utf-8")
    code, said, _ = run(db, str(path))
    assert code == 2 and "line 2: the name 'neglect' is also on line 1: give each search a name of its own" in said
    # a --limit or a database with no search index is no fault of line 1
    path.write_text("neglect\n", encoding="utf-8")
    code, said, _ = run(db, str(path), "--limit", "0")
    assert code == 2 and "--limit must be between 1" in said and "line 1" not in said
    # within a theme, a search may only leave passages out: the theme's passages without the word
    path.write_text("neglect\nNot police: -police\n", encoding="utf-8")
    code, said, result = run(db, str(path), "--theme", "assessment", "--json")
    assert code == 0, said
    assert [json.loads(line)["name"] for line in result.output.splitlines()] == ["neglect", "Not police"]
    # a filter that cannot be used is said once, not once a line, nor blamed on the only search there is
    for searches in ("neglect\nschool\n", "neglect\n"):
        path.write_text(searches, encoding="utf-8")
        for filters in (["--nation", "Atlantis"], ["--year-from", "2025", "--year-to", "2020"],
                        ["--theme", "voice"], ["--section", "zebra crossings"]):
            code, said, _ = run(db, str(path), *filters)
            assert code == 2 and filters[1] in said and "line " not in said and "Mend" not in said, said


def test_the_years_are_drawn_as_a_chart_a_panel_a_search(db: Path, searches_file: Path, tmp_path: Path):
    out = tmp_path / "years.svg"
    code, said, result = run(db, str(searches_file), "--out", str(out))
    assert code == 0 and f"Chart written to {out}" in said, result.output
    drawn = out.read_text(encoding="utf-8")
    for title in ("Reviews with passages for each search, by year", "1. Sharing", "2. Police or school", "3. wishes"):
        assert title in drawn, title
    checksum = hashlib.sha256(searches_file.read_bytes()).hexdigest()[:12]
    assert checksum in drawn  # which searches drew it (the footnote wraps where it will)
    # the same searches give the same file, byte for byte
    again = tmp_path / "again.svg"
    assert run(db, str(searches_file), "--out", str(again))[0] == 0
    assert again.read_bytes() == out.read_bytes()


def test_the_passage_options_are_said_wherever_the_counts_are(db: Path, searches_file: Path, tmp_path: Path):
    """--theme, --min-score and --section change every count, so the terminal, Markdown and chart say so."""
    options = ["--theme", "information_sharing", "--min-score", "0.5", "--section", "findings"]
    said = "only passages tagged Information sharing at a probability of 0.5 or more, under a heading containing " \
           "'findings'"
    code, out, _ = run(db, str(searches_file), *options)
    assert code == 0 and said in out, out
    code, _, _ = run(db, str(searches_file), *options, "--out", str(tmp_path / "s.md"))
    assert code == 0 and said in (tmp_path / "s.md").read_text(encoding="utf-8")
    code, _, _ = run(db, str(searches_file), *options, "--out", str(tmp_path / "s.svg"))
    chart = (tmp_path / "s.svg").read_text(encoding="utf-8")
    assert code == 0 and "counting only passages tagged" in " ".join(re.findall(r"<!--(.*?)-->", chart, re.S))
    code, plain, _ = run(db, str(searches_file))
    assert code == 0 and "only passages" not in plain


def test_a_search_of_several_words_says_a_passage_needs_only_one(db: Path, tmp_path: Path):
    """'voice of the child' typed without quotes counts passages holding any of its words: said beside its counts."""
    path = tmp_path / "s.txt"
    path.write_text('information school\n"information sharing"\n', encoding="utf-8")
    code, said, _ = run(db, str(path))
    assert code == 0 and said.count("a passage needs only one of the words") == 1, said
    assert said.index("needs only one") < said.index('"information sharing"')  # under the first search
