"""Commands to find and take away what the database holds: search, similar, export, trends and report.

Each command is a standalone click command; ``add_output_commands(main)`` attaches them all to the
``casereview`` group (``pipeline.cli`` does this). User errors (``CaseReviewError``) are printed as one line
and exit with status 2, the same as the other casereview commands. Heavy libraries are imported inside the
commands so ``--help`` answers at once.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipeline.commands.options import (
    DB_OPTION,
    MIN_SCORE_OPTION,
    PROBABILITY,
    REVIEW_OPTION,
    SECTION_OPTION,
    SEED,
    UserPath,
    review_filter_options,
)
from pipeline.errors import CaseReviewError
from pipeline.settings import db_argument, default_db

JSON_OPTION = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object per line (for other programs) instead of text.")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a ``CaseReviewError`` as 'Error: ...' on stderr and exit with status 2 (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CaseReviewError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def _echo_json(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False, default=str))


def _is_terminal() -> bool:
    return sys.stdout.isatty()


# --------------------------------------------------------------------------- search


class _WordsCommand(click.Command):
    """A command whose words to search may start with a minus sign ("-police", which leaves passages using it
    out): click reads such a word as an option it does not know ("No such option: -p"). Here a word starting
    with one minus sign and more than one letter, which no option of the command is, is searched as typed, as
    though it came after ``--``; the words of a search may also come as several arguments, unquoted
    (``casereview search neglect -police``). An option's name typed with one minus sign ("-limit") is an error
    that names the option, not a word left out."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = list(args)
        words: list[str] = []
        for _ in range(len(options)):
            try:  # the parser consumes the list it is given
                return super().parse_args(ctx, [*options, *(["--", *words] if words else [])])
            except click.NoSuchOption as exc:
                signed = next((arg for arg in options if arg.startswith("-") and not arg.startswith("--")
                               and arg[:2] == exc.option_name and len(arg) > 2), None)
                if signed is None:
                    raise
                meant = "-" + signed.split("=")[0]
                if any(meant in param.opts for param in self.params):  # "-limit" for "--limit"
                    raise click.UsageError(
                        f"{signed!r} has one minus sign: did you mean the option {meant}? (Options take two; a word "
                        f"after one minus sign is left out of the search.)", ctx) from None
                at = options.index(signed)
                words.append(signed)
                del options[at]
        return super().parse_args(ctx, [*options, "--", *words])


@click.command("search", cls=_WordsCommand, context_settings=CONTEXT)
@click.argument("words", nargs=-1)
@click.option("--theme", default=None, metavar="THEME",
              help="Only passages tagged with this learning theme, e.g. voice_of_child or \"Voice of the child\". "
                   "Without words, lists the theme's passages, most probable first.")
@MIN_SCORE_OPTION
@review_filter_options
@REVIEW_OPTION
@SECTION_OPTION
@click.option("--limit", type=int, default=20, show_default=True, help="Show at most this many passages.")
@click.option("--page-order", is_flag=True,
              help="With --review: list the passages found in the order of the review's pages, as it is read, "
                   "instead of best first.")
@click.option("--by-review", is_flag=True,
              help="Instead of the passages, list the reviews they are in, with how many each has, the most first: "
                   "which reviews say something (and how many of those read), for a briefing.")
@click.option("--out", "out", type=UserPath(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Save the results as a table instead of printing them: FILE.csv, FILE.xlsx (Excel) or FILE.md, "
                   "with what was searched and where the results came from.")
@JSON_OPTION
@DB_OPTION
@_user_errors
def search_command(words: tuple[str, ...], theme: str | None, min_score: float | None, year_from: int | None,
                   year_to: int | None, nation: str | None, review_type: str | None, area: str | None,
                   review: str | None, section: str | None, limit: int, page_order: bool, by_review: bool,
                   out: Path | None, as_json: bool, db_path: Path | None) -> None:
    """Search the reviews for passages about a subject, best match first.

    Each result shows the review, its area and year, the page(s) to cite, the section, the matched words in
    context, and the learning themes the model found in the passage, as probabilities.

    Words are matched in any form ("sharing" also finds "shared" and "share"); put words in double quotes
    to find them as a phrase. A statutory section is found however it is written ("s47" also finds
    "section 47", and the other way round), and a service the reviews spell out with its abbreviation also
    finds the abbreviation ("multi-agency risk assessment conference" also finds "MARAC"). A word the
    reviews write both solid and hyphenated is found either way ("cosleeping" also finds "co-sleeping"). A word
    no review uses is named, with words spelt like it that the reviews use. A passage needs only one of the
    words: those with more of them, and rarer ones, come first. AND in capitals between words finds only the
    passages using each of them, and words in brackets any one of which will do ("(neglect OR abuse) AND
    school"); quotes around words find them together, as a phrase, and OR between phrases finds either. A
    minus sign or NOT before a word leaves out the passages that use it, in any form; before a phrase in
    quotes, those that hold it. Combine words with filters (--review searches one review; add --page-order
    to list its passages in the order of its pages), or give only --theme to see the strongest evidence for
    a theme.

    \b
    Examples:
      casereview search "information sharing"
      casereview search "strategy meeting" --nation Wales --year-from 2018
      casereview search --theme voice_of_child --min-score 0.8 --area Northmoor
      casereview search "information sharing" --section recommendations
      casereview search neglect -police --area Northmoor
      casereview search "health visitor" --review "Child H"
      casereview search --theme voice_of_child --review "Child Y" --page-order
      casereview search cuckooing --by-review
      casereview search "neglect AND school"
      casereview search '(neglect OR "emotional abuse") AND (school OR nursery)'
      casereview search '"not seen alone"' --limit 200 --out not-seen-alone.xlsx
      casereview search '"professional curiosity"' --json > results.jsonl
    """
    from pipeline.outputs.common import (
        WEAK_TAG_WORDS,
        counted,
        describe_filters,
        kept_by,
        tagged_clause,
        theme_name,
        theme_names,
        weak_tag,
    )
    from pipeline.search import (
        SCORE_KINDS,
        missing_note,
        no_hits_hints,
        nothing_kept_note,
        parts_only_note,
        phrase_hint,
        search_with_forms,
        theme_hint,
        total_note,
        unindexed_note,
    )
    from pipeline.search_query import all_required, operator_note, quoted_search
    query = " ".join(words) or None  # unquoted words come as several arguments
    if out is not None and as_json:
        raise CaseReviewError("give --out FILE to save a table, or --json to print JSON lines, not both")
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx", ".md"):
        raise CaseReviewError(f"--out {out}: name the file .csv, .xlsx (Excel) or .md (Markdown), which says how "
                              "to save the results")
    if page_order and by_review:
        raise CaseReviewError("--page-order lists one review's passages in the order of its pages, and --by-review "
                              "lists the reviews instead of passages: give one of them")
    result = search_with_forms(db_path, query, theme=theme, min_score=min_score, year_from=year_from,
                               year_to=year_to, nation=nation, review_type=review_type, area=area,
                               review=review, section=section, limit=limit, by_review=by_review,
                               **({"page_order": True} if page_order else {}))
    hits, also = result.hits, result.also
    missing = "\n".join(note for note in (missing_note(result.missing, result.numbers_only),
                                          parts_only_note(result), unindexed_note(result.unindexed)) if note)
    filters = {"year_from": year_from, "year_to": year_to, "nation": nation, "review_type": review_type, "area": area,
               "review": review}  # the review filters, as typed
    said = {**filters, "review": result.review} if result.review else filters  # the review by its title and id
    again = _search_again(db_path, {"theme": theme, "min_score": min_score, **filters, "section": section})
    # words that name a theme find passages using any one of them: offer the theme itself
    named = theme_hint(result, theme_names()) if hits else None
    like = f"{named[0]}: {again(named[1])}" if named else ""
    whole = phrase_hint(result)  # words with a hyphen found by their parts: the same in quotes
    if whole:
        like = "\n".join(part for part in (like, f"{whole[0]}: {again(whole[1])}") if part)
    if as_json:
        for record in (result.by_review if by_review else hits):
            _echo_json(record.to_dict())
        # with --by-review, what the lines are out of (the reviews read, year by year) goes with the other notes
        counts = (_reviews_found_text(result, quoted_search(query.strip()) if query and query.strip()
                                      else f"the theme {theme_name(theme, theme_names())}", describe_filters(said),
                                      "").split("\n\n")[0]
                  if by_review and result.by_review else "")
        kept = nothing_kept_note(result)
        for note in (missing, operator_note(query), total_note(result, query), counts, like,
                     f"Nothing found: {kept}." if kept else ""):
            if note:
                click.echo(note, err=True)
        return
    if not hits and _passage_count(db_path) == 0:
        raise CaseReviewError("the database holds no passages yet: no review has been read. See which reviews "
                              f"failed and why with `casereview status{db_argument(db_path or default_db())}`.")
    if missing:
        click.echo(missing + "\n")
    operators = operator_note(query)
    if operators:
        click.echo(operators + "\n")
    if not hits:
        within = describe_filters(filters)
        found = ("No passages found" + (f" for {quoted_search(query.strip())}" if query and query.strip() else "")
                 + (f" tagged with the theme '{theme}'" if theme else ""))
        if min_score is not None:
            found += f" at a probability of {min_score:g} or more"
        if section:
            found += f" under a heading containing '{' '.join(section.split())}'"
        found += kept_by(said)
        nothing_kept = nothing_kept_note(result)
        if nothing_kept:
            found += f": {nothing_kept}"
        elif result.without_words:
            found += (f": {counted(result.without_words, 'passage')} {'is' if result.without_words == 1 else 'are'} "
                      "tagged with it there, but none of them holds these words")
        elif all_required(query):
            found += f" ({all_required(query)})"
        tries = ["other filters"] if nothing_kept else [t for t, given in (
            ("fewer or different words", query and query.strip()), ("a lower --min-score", min_score is not None),
            ("another --section", section), ("looser filters", within)) if given]
        # what this search's own words suggest comes before the general advice
        hints = [f"{hint}: {again(changes)}" for hint, changes in no_hits_hints(query, result, theme_names())]
        try_ = ", or ".join(tries or ["other words"])
        told = "\n".join([f"{found}.", *hints, f"Otherwise, try {try_}."]) if hints else f"{found}. Try {try_}."
        click.echo(told + (f" Nothing was written to {out}." if out is not None else ""))
        return
    names = theme_names()
    kind = hits[0].score_kind
    what = (quoted_search(query.strip()) if query and query.strip()
            else f"the theme {theme_name(theme, names)}")
    if also:
        what += " (also searched as " + ", ".join(f'"{form}"' for form in also) + ")"
    what += tagged_clause(theme_name(theme, names) if theme else None, min_score, bool(query and query.strip()))
    if section:
        what += f" under a heading containing {' '.join(section.split())!r}"
    # said, so that results copied from the terminal keep what kept them (--by-review says the filters its own way)
    what += kept_by({"review": said["review"]}) if by_review else kept_by(said)
    order = "in page order" if page_order else "best first"
    if out is not None:
        from pipeline.outputs.search_table import save_results

        saved = save_results(db_path, result, out, searched={
            "query": query, "theme": theme, "min_score": min_score, "section": section, "limit": limit,
            "page_order": page_order, **filters})
        if by_review:
            click.echo(f"Wrote {out}: the {counted(saved.rows, 'review')} with passages for {what}, the most "
                       f"passages first ({counted(result.total or 0, 'passage')} in all).")
        else:
            click.echo(f"Wrote {out}: {saved.rows} passage{'s' if saved.rows != 1 else ''} for {what}, {order}"
                       + (f" ({result.total} match in all: {_more_hint(limit, result.total, 'saves')})"
                          if result.more else "") + ".")
        if like:
            click.echo(like)
        click.echo("What was searched and where the results came from: "
                   + (f"{saved.provenance_path}." if saved.provenance_path else "in the file itself."))
        return
    if by_review:
        click.echo(_reviews_found_text(result, what, describe_filters(said),
                                       again({"q": query or "", "review": "REVIEW_ID"})))
        if like:
            click.echo(like)
        return
    shown = f"{len(hits)} of {result.total}" if result.more else str(len(hits))
    click.echo(f"{shown} passage{'s' if len(hits) != 1 or result.more else ''} for {what}, {order} "
               f"(score = {SCORE_KINDS[kind]}).")
    if result.more:
        click.echo(f"{total_note(result, query)} {_more_hint(limit, result.total, 'shows')} (add --out FILE.xlsx "
                   "to save them as a table).")
    if like:
        click.echo(like)
    click.echo()
    for number, hit in enumerate(hits, start=1):
        click.echo(_format_hit(number, hit, names))
    models = [hit.theme_model for hit in hits if hit.themes and hit.theme_model]
    for note in _tag_notes(db_path, models, theme, names):
        click.echo(note)
    if any(weak_tag(score) for hit in hits for score in hit.themes.values()):
        click.echo(f"A probability marked (weak) is {WEAK_TAG_WORDS}: read such a passage before counting it.")


def _reviews_found_text(result: Any, what: str, within: str, one_review: str) -> str:
    """``search --by-review`` for people: the reviews with passages for ``what`` (the search, as its heading
    says it), out of the reviews read that the filters (``within``) keep, each with its passages found out of
    its own, the most first; then the command that reads one review's passages (``one_review``).

    >>> from pipeline.search import ReviewFound, SearchResult
    >>> found = (ReviewFound("ardmuir-2022-child-c", "Learning Review – Child C", "Ardmuir", "Scotland", "LR", 2022,
    ...                      6, 36),)
    >>> result = SearchResult([], total=6, total_reviews=1, by_review=found, reviews_read=19,
    ...                       by_year=((2021, 0, 7), (2022, 1, 12)))
    >>> print(_reviews_found_text(result, '"neglect"', "", "casereview search neglect --review REVIEW_ID"))
    Passages for "neglect" are in 1 of the 19 reviews read: 6 passages in all. The reviews with the most come first.
    By year, reviews with them of those read: 2021: 0 of 7 · 2022: 1 of 12
    <BLANKLINE>
    2022  ardmuir-2022-child-c: 6 of its 36 passages
          Learning Review – Child C
          Ardmuir · Scotland · LR
    <BLANKLINE>
    To read one review's passages: casereview search neglect --review REVIEW_ID
    """
    from pipeline.outputs.common import counted
    from pipeline.outputs.reviewlist import review_lines

    kept = f" that the filters keep ({within})" if within else ""
    lines = [f"Passages for {what} are in {len(result.by_review)} of the {counted(result.reviews_read, 'review')} "
             f"read{kept}: {counted(result.total or 0, 'passage')} in all. The reviews with the most come first."]
    if result.by_year:
        line = "By year, reviews with them of those read:"
        for number, (year, found, read) in enumerate(result.by_year):
            item = f"{year}: {found} of {read}"
            if len(line) + len(item) + 3 > 110:  # a year's figures are never split over two lines
                lines.append(line + " ·")
                line = "  " + item
            else:
                line += (" · " if number else " ") + item
        lines.append(line)
    for review in result.by_review:
        lines += review_lines(review.year, f"{review.review_id}: {review.passages_found} of its "
                                           f"{counted(review.review_passages, 'passage')}",
                              review.title or review.review_id,
                              review.area, review.nation, review.review_type)
    return "\n".join([*lines, "", f"To read one review's passages: {one_review}"])


def _tag_notes(db_path: Path | None, models: list[str], theme: str | None, names: dict[str, str]) -> list[str]:
    """``tag_notes`` for the hits, reading the database's recorded check only when a theme was searched for."""
    from pipeline.outputs.common import open_database, tag_notes

    if not (theme and models):
        return tag_notes(models, None, names)
    con = open_database(db_path)
    try:
        return tag_notes(models, theme, names, con)
    finally:
        con.close()


def _passage_count(db_path: Path | None) -> int:
    from pipeline.outputs.common import open_database

    con = open_database(db_path)
    try:
        return con.execute("SELECT count(*) FROM passages").fetchone()[0]
    finally:
        con.close()


def _search_again(db_path: Path | None, filters: dict[str, Any]) -> Callable[[dict[str, str]], str]:
    """A function that writes the ``casereview search`` command for a search changed as ``changes`` say (its
    words ``q``, its ``theme``: see ``no_hits_hints``), with this search's filters and database (``--db`` where it
    is not the default), for a hint to copy."""
    import shlex

    def command(changes: dict[str, str]) -> str:
        words = f" {shlex.quote(changes['q'])}" if changes.get("q") else ""
        options = {**filters, **{key: value for key, value in changes.items() if key != "q"}}
        kept = "".join(f" --{key.replace('_', '-')} {shlex.quote(str(value))}" for key, value in options.items()
                       if value is not None)
        return f"casereview search{words}{kept}{db_argument(db_path or default_db())}"

    return command


def _more_hint(limit: int, total: int | None, verb: str) -> str:
    """The --limit to give to see more of the passages that match than ``limit`` did: all of them when they
    are at most the largest limit (``--limit 120 shows them all``), else that largest limit.

    >>> _more_hint(20, 120, "shows"), _more_hint(150, 5000, "saves")
    ('--limit 120 shows them all', '--limit 1000 saves up to 1000')
    >>> _more_hint(1000, 5000, "shows")
    'add words or filters to narrow the search (1000 is the most --limit shows)'
    """
    from pipeline.search import MAX_LIMIT

    if total is not None and limit < total <= MAX_LIMIT:
        return f"--limit {total} {verb} them all"
    if limit >= MAX_LIMIT:
        return f"add words or filters to narrow the search ({MAX_LIMIT} is the most --limit {verb})"
    return f"--limit {MAX_LIMIT} {verb} up to {MAX_LIMIT}"


def _format_hit(number: int, hit, names: dict[str, str]) -> str:
    from pipeline.outputs.common import OCR_NOTE, pages_label, probability_text, weak_tag

    bold = ("\x1b[1;33m", "\x1b[0m") if _is_terminal() else ("**", "**")
    facts = [hit.area, str(hit.year) if hit.year else None, hit.nation, hit.review_type,
             pages_label(hit.page_start, hit.page_end, hit.printed_start, hit.printed_end)]
    if hit.section:
        facts.append(f"section: {hit.render_section(*bold)}")
    if getattr(hit, "ocr", False):
        facts.append(OCR_NOTE)
    if hit.themes:
        themes = ", ".join(f"{names.get(t, t)} {probability_text(p)}{' (weak)' if weak_tag(p) else ''}"
                           for t, p in hit.themes.items())
        themes_line = f"   Themes (model {hit.theme_model}): {themes}"
    else:
        themes_line = "   Themes: none tagged"
    score = probability_text(hit.score) if hit.score_kind == "theme_probability" else f"{hit.score:.2f}"
    label = "theme probability" if hit.score_kind == "theme_probability" else "match score"
    return "\n".join([
        f"{number}. {hit.title}",
        "   " + " · ".join(fact for fact in facts if fact),
        "   \"" + "\n    ".join(hit.render_snippet(*bold).splitlines()) + "\"",  # a list's lines stay indented
        themes_line,
        f"   {label}: {score}   passage id: {hit.passage_id}",
        "",
    ])


# --------------------------------------------------------------------------- similar


@click.command("searches", context_settings=CONTEXT)
@click.argument("file", type=UserPath(dir_okay=False, path_type=Path))
@click.option("--theme", default=None, metavar="THEME",
              help="Only passages tagged with this learning theme, for every search.")
@MIN_SCORE_OPTION
@review_filter_options
@SECTION_OPTION
@click.option("--limit", type=int, default=20, show_default=True,
              help="Keep at most this many passages of each search, best first (the counts are of them all).")
@click.option("--out", "out", type=UserPath(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Save the searches, the years, the reviews and the passages as FILE.xlsx (a sheet each) or "
                   "FILE.md, with what was searched and where the results came from; or draw the years as a "
                   "chart, FILE.png or FILE.svg.")
@JSON_OPTION
@DB_OPTION
@_user_errors
def searches_command(file: Path, theme: str | None, min_score: float | None, year_from: int | None,
                     year_to: int | None, nation: str | None, review_type: str | None, area: str | None,
                     section: str | None, limit: int, out: Path | None, as_json: bool, db_path: Path | None) -> None:
    """Run a set of searches written in FILE, one a line, as a thematic briefing runs its search strings again.

    Each line is a search as you would type it after casereview search (words, "phrases", AND, OR, brackets,
    -words left out), with a name and a colon before it if you like; blank lines and lines starting with # are
    skipped. Every line is checked before anything is searched. For each search: how many passages match, in
    how many of the reviews read, and year by year in how many of that year's reviews. --out saves these with
    the reviews each search found and its best passages, and where they came from.

    \b
    A file of searches:
      # Briefing on neglect
      Neglect at school: (neglect OR "emotional abuse") AND (school OR nursery)
      Seen alone: "seen alone" OR "spoken to alone"
      cuckooing

    \b
    Examples:
      casereview searches briefing-searches.txt
      casereview searches briefing-searches.txt --year-from 2020 --out briefing.xlsx
      casereview searches briefing-searches.txt --out briefing-years.png
    """
    from pipeline.outputs.common import describe_filters, theme_names
    from pipeline.outputs.searchset import (
        check_saved_as,
        passages_kept,
        read_searches,
        run_searches,
        save_searches,
        searches_info,
        searches_text,
    )

    if out is not None and as_json:
        raise CaseReviewError("give --out FILE to save the tables, or --json to print JSON lines, not both")
    if out is not None:
        check_saved_as(out)  # before anything is searched
    searches = read_searches(file, theme=theme is not None)
    filters = {"year_from": year_from, "year_to": year_to, "nation": nation, "review_type": review_type,
               "area": area}
    options = {"theme": theme, "min_score": min_score, "section": section}
    try:
        outcomes = run_searches(db_path, searches, limit=limit, **filters, **options)
    except CaseReviewError as exc:
        if out is None:
            raise
        raise CaseReviewError(f"{str(exc).rstrip('.')}. Nothing was written to {out}.") from exc
    if as_json:
        for o in outcomes:
            _echo_json({"line": o.search.line, "name": o.search.name, "query": o.search.query,
                        "passages_matching": o.result.total or 0, "reviews_with_passages": len(o.result.by_review),
                        "reviews_read": o.result.reviews_read, "note": o.note,
                        "by_year": [{"year": year, "reviews_with_passages": found, "reviews_read": read}
                                    for year, found, read in o.result.by_year],
                        "reviews": [{"review_id": r.review_id, "passages_found": r.passages_found}
                                    for r in o.result.by_review]})
        return
    if out is not None:
        info = searches_info(db_path, file, file.read_bytes(), outcomes, limit, {**filters, **options})
        save_searches(out, outcomes, info, theme_names())
        if out.suffix.lower() in (".png", ".svg"):
            click.echo(f"Chart written to {out}: each search's share of the reviews read, year by year.")
            return
        from pipeline.outputs.common import counted

        searched = counted(len(outcomes), "search", "searches")
        click.echo(searches_text(outcomes, file, describe_filters(filters), passages_kept(options)) + "\n")
        click.echo(f"Wrote {out}: {searched} from {file}, with the reviews and years they found passages in and up "
                   f"to {counted(limit, 'passage')} of each, best first.")
        click.echo("What was searched and where the results came from: in the file itself.")
        return
    click.echo(searches_text(outcomes, file, describe_filters(filters), passages_kept(options)))
    click.echo(f"\nTo save the reviews and the best passages of each search: add --out {file.stem}.xlsx "
               "(or .md).")


@click.command("similar", context_settings=CONTEXT)
@click.argument("passage_or_review_id")
@click.option("--limit", type=int, default=10, show_default=True, help="Show at most this many results.")
@click.option("--other-reviews", is_flag=True,
              help="For a passage: only show passages from other reviews than its own.")
@JSON_OPTION
@DB_OPTION
@_user_errors
def similar_command(passage_or_review_id: str, limit: int, other_reviews: bool, as_json: bool,
                    db_path: Path | None) -> None:
    """Find passages or reviews that say something similar ("more like this").

    Give a passage id (shown under each `casereview search` result) to find the passages closest in
    meaning, even when they use different words; give a review id (or words of its title alone, e.g.
    "Child H") to find the reviews most like it overall. Similarity runs from 1 (same meaning) down to 0
    (unrelated); it is not a probability.

    \b
    Examples:
      casereview similar 78f2c95185e553943277 --other-reviews
      casereview similar northmoor-2016-child-d --limit 5
    """
    from pipeline.outputs.common import counted, pages_label
    from pipeline.search import similar, similar_to

    hits = similar(db_path, passage_or_review_id, limit=limit, other_reviews=other_reviews)
    if as_json:
        for hit in hits:
            _echo_json(hit.to_dict())
        return
    if not hits:
        click.echo("Nothing else to compare with yet.")
        return
    kind = "passage" if hits[0].kind == "passage" else "review"
    shown = counted(len(hits), kind) if len(hits) > 1 else kind
    click.echo(f"The {shown} most like {similar_to(db_path, passage_or_review_id)}, by meaning (embedding model "
               f"{hits[0].model}; similarity 1 = same meaning, 0 = unrelated; not a probability).")
    if kind == "passage":
        click.echo("Passages of case reviews share much of their language, so any two score well above 0 (with the "
                   "default model, about half of all pairs of the demo's passages score over 0.5): read the order, "
                   "not the size of the number.")
    if kind == "review":
        low, high = (f"{f(hit.similarity for hit in hits):.2f}" for f in (min, max))
        spread = f"{low}-{high}" if low != high else f"{low} for {'both' if len(hits) == 2 else f'all {len(hits)}'}"
        click.echo(f"Whole reviews share much of their language (chronologies, agencies, recommendations), so "
                   f"their similarities sit close together (here {spread}): read the order, not the size of the "
                   "number.")
    click.echo()
    for number, hit in enumerate(hits, start=1):
        facts = [hit.area, str(hit.year) if hit.year else None, hit.nation, hit.review_type]
        if hit.kind == "passage":
            facts.append(pages_label(hit.page_start, hit.page_end, hit.printed_start, hit.printed_end))
            if hit.section:
                facts.append(f"section: {hit.section}")
        else:
            facts.append(f"{hit.passages} passages")
        lines = [f"{number}. {hit.title}", "   " + " · ".join(f for f in facts if f)]
        if hit.kind == "passage":
            lines.append(f"   \"{' '.join(hit.snippet.split())}\"")  # (a line break in it would break the list)
            lines.append(f"   similarity: {hit.similarity:.2f}   passage id: {hit.passage_id}")
        else:
            lines.append(f"   similarity: {hit.similarity:.2f}   review id: {hit.review_id}")
        click.echo("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- export


@click.command("export", context_settings=CONTEXT)
@click.option("--theme", required=True, metavar="THEME",
              help="The learning theme, e.g. information_sharing or \"Information sharing\".")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "md"], case_sensitive=False), default=None,
              help="csv (spreadsheets), xlsx (Excel) or md (Markdown, for documents). "
                   "Default: from the --out file name, else csv.")
@click.option("--out", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="The file to write (needed for xlsx). Without it, CSV and Markdown are printed.")
@click.option("--min-score", type=PROBABILITY, default=None, metavar="P",
              help="Leave out passages whose theme probability is below P (0 to 1, or a percentage: 0.8, 80 and 80% "
                   "are the same).")
@review_filter_options
@REVIEW_OPTION
@SECTION_OPTION
@DB_OPTION
@_user_errors
def export_command(theme: str, fmt: str | None, out: Path | None, min_score: float | None, year_from: int | None,
                   year_to: int | None, nation: str | None, review_type: str | None, area: str | None,
                   review: str | None, section: str | None, db_path: Path | None) -> None:
    """Save the evidence for one learning theme as a table, strongest first.

    One row per passage tagged with the theme: the review, its area and year, the page(s) to cite, the
    quote (the sentence the model found as evidence), the theme probability and the passage id. Every
    export records where it came from (theme model, run, manifest checksum, date, database): in a
    second sheet for Excel, at the top for Markdown, and in a file NAME.provenance.json next to a CSV.

    \b
    Examples:
      casereview export --theme voice_of_child --out voice.xlsx
      casereview export --theme "Information sharing" --format md --out sharing.md
      casereview export --theme assessment --min-score 0.8 --out assessment.csv
      casereview export --theme legal_powers --nation Wales --year-from 2019 --out wales-legal.xlsx
      casereview export --theme information_sharing --section recommendations --out sharing-recs.csv
    """
    from pipeline.outputs.export import at_least, export_theme, weak_tags_note

    result = export_theme(db_path, theme, fmt.lower() if fmt else None, out, min_score=min_score,
                          year_from=year_from, year_to=year_to, nation=nation, review_type=review_type, area=area,
                          review=review, section=section)
    if result.text is not None:
        click.echo(result.text, nl=False)
        if (fmt or "csv").lower() == "csv":
            from pipeline.outputs.common import provenance_lines

            about = result.provenance
            kept = [f"Theme: {about['theme_name']} ({about['theme']}), {about['rows']} rows, highest probability "
                    "first" + (f"; probability at least {about['min_score']:g}" if about.get("min_score") is not None
                               else "")
                    + (f"; reviews: {about['reviews']}" if about.get("reviews", "all") != "all" else "")
                    + (f'; passages under a heading containing "{about["section"]}"' if about.get("section") else "")
                    + (";" + weak_tags_note(about) if about.get("weak_tags") else "")]
            click.echo("Provenance (kept out of the CSV so that spreadsheets open it cleanly; with --out FILE.csv it "
                       "is saved beside it as JSON):\n" + "\n".join(f"  {line}" for line in
                                                                [*kept, *provenance_lines(about)]), err=True)
        return
    within, section = result.provenance["reviews"], result.provenance.get("section")
    passages = f"{result.rows} passage{'' if result.rows == 1 else 's'}"
    min_score = result.provenance.get("min_score")
    click.echo(f"Wrote {result.path}: {passages} tagged {result.theme_name} ({result.theme})"
               + (f' under a heading containing "{section}"' if section else "") + ", highest probability first"
               + (f"; {at_least(min_score)}" if min_score is not None else "")
               + (f"; reviews: {within}." if within != "all" else ".") + weak_tags_note(result.provenance))
    if result.provenance_path:
        click.echo(f"Provenance (models, run, manifest checksum, date) is in {result.provenance_path}: "
                   "keep it with the CSV.")
    else:
        where = "the Provenance sheet" if result.path.suffix.lower() == ".xlsx" else "the header of the file"
        click.echo(f"Provenance (models, run, manifest checksum, date) is in {where}.")
    if result.provenance.get("theme_real_text_check"):
        click.echo(f"About this theme: {result.provenance['theme_real_text_check']}")
    if result.provenance.get("theme_local_check"):
        click.echo(f"Checked in this database: {result.provenance['theme_local_check']}")


# --------------------------------------------------------------------------- trends


@click.command("trends", context_settings=CONTEXT)
@click.option("--out", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Also write this file: a chart (.png for documents, .svg for the web) or the table (.csv with "
                   "FILE.csv.provenance.json beside it, .xlsx with a Provenance sheet, or .md).")
@click.option("--theme", default=None, metavar="THEME", help="Only this theme.")
@click.option("--measure", type=click.Choice(["reviews", "passages"], case_sensitive=False), default="reviews",
              show_default=True,
              help="Count reviews that carry the theme (at least one passage tagged), or passages tagged with it.")
@MIN_SCORE_OPTION
@review_filter_options
@JSON_OPTION
@DB_OPTION
@_user_errors
def trends_command(out: Path | None, theme: str | None, measure: str, min_score: float | None,
                   year_from: int | None, year_to: int | None, nation: str | None, review_type: str | None,
                   area: str | None, as_json: bool, db_path: Path | None) -> None:
    """Show how common each learning theme is, year by year.

    For each year: how many of that year's reviews carry each theme (the theme model tagged at least one
    of their passages), out of the reviews that could be read; with --measure passages, how many of the
    year's passages are tagged with it. Years with few reviews are flagged: their shares can swing widely.
    With long reviews nearly every review carries nearly every theme: the share of passages then tells
    years apart better (the table says so when it happens). A tag the model was unsure of counts as any
    other: --min-score 0.5 counts only tags of 50% or more (the table says how many counts rest on weaker
    ones).

    \b
    Examples:
      casereview trends
      casereview trends --min-score 0.5
      casereview trends --measure passages --out themes-by-year.png
      casereview trends --out themes-by-year.xlsx
      casereview trends --theme voice_of_child --json
      casereview trends --nation Wales --review-type CPR
    """
    from pipeline.outputs.trends import (
        CHART_SUFFIXES,
        FEW_REVIEWS,
        TABLE_SUFFIXES,
        format_trends,
        plot_trends,
        theme_trends,
        write_trends_table,
    )

    if out is not None and out.suffix.lower() not in CHART_SUFFIXES + TABLE_SUFFIXES:
        raise CaseReviewError(f"--out {out.name}: give a chart file ending in .png or .svg, or a table file ending "
                              "in .csv, .xlsx or .md")
    frame, info = theme_trends(db_path, theme, year_from=year_from, year_to=year_to, nation=nation,
                               review_type=review_type, area=area, min_score=min_score)
    if as_json:
        for record in frame.to_dict(orient="records"):
            # as in the CSV and Excel tables: whether the year rests on too few reviews for its shares to hold
            _echo_json({**record, "few_reviews": bool(record["reviews_in_year"] < FEW_REVIEWS)})
    else:
        click.echo(format_trends(frame, info, measure.lower()))
    if out is not None and out.suffix.lower() in CHART_SUFFIXES:
        plot_trends(frame, info, out, measure.lower())
        click.echo(f"Chart written to {out}", err=as_json)
    elif out is not None:
        sidecar = write_trends_table(frame, info, out, measure.lower())
        where = (f"in {sidecar}" if sidecar else "on its Provenance sheet" if out.suffix.lower() == ".xlsx"
                 else "at its top")
        rows = ("the table as printed above" if out.suffix.lower() == ".md"
                else f"{len(frame)} rows (a year and a theme each, both measures)")
        click.echo(f"Wrote {out}: {rows}; what was counted and where it came from (models, run, manifest checksum, "
                   f"date) is {where}.", err=as_json)


# --------------------------------------------------------------------------- report


@click.command("report", context_settings=CONTEXT)
@click.option("--area", required=True, help="The safeguarding partnership or local authority (part of the name "
                                            "is enough when it names only one area).")
@click.option("--year", required=True, metavar="YEAR",
              help="The year of the reviews, or a span of years for an area with few reviews a year, e.g. "
                   "2019-2023.")
@click.option("--out", type=UserPath(dir_okay=False, path_type=Path), required=True,
              help="The web page to write, e.g. northmoor-2021.html.")
@click.option("--searches", "searches_file", type=UserPath(dir_okay=False, path_type=Path), default=None,
              metavar="FILE",
              help="Add a section for the partnership's own searches, one a line in FILE (as casereview searches "
                   "reads it): what each finds in the area's reviews, against all reviews read.")
@DB_OPTION
@_user_errors
def report_command(area: str, year: str, out: Path, searches_file: Path | None, db_path: Path | None) -> None:
    """Write an annual summary for a safeguarding partnership as one web page.

    The page lists the area's reviews of that year (or span of years), compares how often each learning
    theme appears in them with all reviews in the database (table and chart), quotes each theme's most
    probable passages with page numbers (marking as thin evidence a theme resting on fewer than 3 passages
    there, or only on tags under 70%), lists each review's own findings and recommendations, shows topics when a
    topic model has been run, and says plainly what the figures cannot tell you. With --searches, it also
    says what the partnership's own searches find there. It opens in any browser without the
    internet and prints cleanly. Check every quote against the review before publishing.

    \b
    Examples:
      casereview report --area "Northmoor" --year 2021 --out northmoor-2021.html
      casereview report --area "Cwm Llwyd" --year 2019-2023 --out cwm-llwyd-2019-2023.html
      casereview report --area "Northmoor" --year 2021 --searches our-searches.txt --out northmoor-2021.html
    """
    from pipeline.outputs.common import counted
    from pipeline.outputs.report import THIN_MARK, parse_years, write_report
    from pipeline.outputs.searchset import read_searches

    searches = read_searches(searches_file) if searches_file is not None else []
    source = ""
    if searches_file is not None:
        import hashlib

        source = f"{searches_file.name}, SHA-256 {hashlib.sha256(searches_file.read_bytes()).hexdigest()}"
    result = write_report(db_path, area, parse_years(year, "--year "), out, searches=searches, searches_from=source)
    click.echo(f"Wrote {result.path}: {result.area}, {result.year} — {counted(result.reviews, 'review')} "
               f"({result.reviews_read} read), {counted(result.themes_present, 'theme')} found"
               + (f" ({len(result.thin_themes)} on thin evidence, marked {THIN_MARK}: {'; '.join(result.thin_themes)})"
                  if result.thin_themes else "")
               + ". Open it in a web browser.")
    if result.reviews and not result.reviews_read:
        many = result.reviews > 1
        click.echo(f"Note: {'none of these reviews could' if many else 'this review could not'} be read, so the "
                   "report has no "
                   "themes, findings or recommendations, and says so. `casereview status"
                   f"{db_argument(db_path or default_db())}` says why; once that is put right and `casereview run` has "
                   f"read {'them' if many else 'it'}, write the report again.")


# --------------------------------------------------------------------------- findings


@click.command("findings", context_settings=CONTEXT)
@click.option("--containing", default=None, metavar="TEXT",
              help="Only findings whose heading contains this text, e.g. information.")
@review_filter_options
@REVIEW_OPTION
@click.option("--out", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Also write the table to this file: FILE.csv (with FILE.csv.provenance.json beside it), "
                   "FILE.xlsx (Excel, with a Provenance sheet) or FILE.md (Markdown, provenance at the top).")
@JSON_OPTION
@DB_OPTION
@_user_errors
def findings_command(containing: str | None, year_from: int | None, year_to: int | None, nation: str | None,
                     review_type: str | None, area: str | None, review: str | None, out: Path | None, as_json: bool,
                     db_path: Path | None) -> None:
    """List the findings the reviews state in their own headings, review by review, with pages.

    Most reviews state their findings in headings: numbered ("Finding 2: Information held by one agency
    did not reach the others", "Learning point 1: ...") or set under a chapter of findings ("Practice and
    organisational learning" > "5.1 The impact of ... was not fully understood"). This lists them across
    the reviews kept by the filters, the review's own words with the page each starts on: a table for a
    thematic briefing. Findings a review states only in running text are not listed.

    \b
    Examples:
      casereview findings --containing information
      casereview findings --nation Wales --year-from 2019 --out wales-findings.csv
    """
    from pipeline.outputs.findings import check_table_name, format_findings, stated_findings, write_findings_table

    if out is not None:
        check_table_name(out)  # before anything is listed
    rows, about = stated_findings(db_path, containing=containing, year_from=year_from, year_to=year_to,
                                  nation=nation, review_type=review_type, area=area, review=review)
    if as_json:
        for row in rows:
            _echo_json(row)
    else:
        click.echo(format_findings(rows, about))
    if out is not None:
        sidecar = write_findings_table(rows, about, out)
        where = (f"in {sidecar}" if sidecar else "at its top" if out.suffix.lower() == ".md"
                 else "on its Provenance sheet")
        click.echo(f"Wrote {out}: {len(rows)} finding{'s' if len(rows) != 1 else ''}; what was listed and where "
                   f"it came from (models, run, manifest checksum, date) is {where}.", err=as_json)


# --------------------------------------------------------------------------- label-sheet


@click.command("label-sheet", context_settings=CONTEXT)
@click.option("--out", type=UserPath(dir_okay=False, path_type=Path), required=True, metavar="FILE",
              help="The sheet to write: FILE.xlsx (Excel) or FILE.csv.")
@click.option("--size", type=int, default=100, show_default=True,
              help="How many passages to draw (100 give a rough figure per theme, 300 a firmer one).")
@click.option("--seed", type=SEED, default=13, show_default=True,
              help="Random seed: the same database, filters and seed give the same passages.")
@review_filter_options
@click.option("--section", default=None, metavar="TEXT",
              help="Only passages under a heading that contains this text, e.g. findings.")
@click.option("--replace", is_flag=True, help="Overwrite FILE if it exists (it may hold someone's labels).")
@DB_OPTION
@_user_errors
def label_sheet_command(out: Path, size: int, seed: int, year_from: int | None, year_to: int | None,
                        nation: str | None, review_type: str | None, area: str | None, section: str | None,
                        replace: bool, db_path: Path | None) -> None:
    """Draw passages at random into a sheet to label by hand, to check the theme model on your reviews.

    The theme model was trained on our own writing, and it is less accurate on real reviews (see its
    model card). To see how far to trust its tags on the reviews you work with, draw a sheet of passages,
    mark in it the themes each passage is about (x under each theme, ? when unsure, x under "No theme"
    when none), then run `casereview evaluate --gold FILE`: it compares your marks with the model's tags,
    theme by theme. The model's tags are not shown in the sheet, so they do not lead you. Rows are in
    random order: a sheet marked only part of the way down is still a fair sample. An Excel sheet has a
    "How to label" page with each theme's definition; a CSV has FILE.how-to-label.txt beside it.

    \b
    Examples:
      casereview label-sheet --out check.xlsx
      casereview label-sheet --out wales.xlsx --size 200 --nation Wales
      casereview evaluate --gold check.xlsx          (once the sheet is marked)
    """
    from pipeline.outputs.labelsheet import write_label_sheet

    sheet = write_label_sheet(db_path, out, size=size, seed=seed, replace=replace, year_from=year_from,
                              year_to=year_to, nation=nation, review_type=review_type, area=area, section=section)
    drawn = f"{sheet.rows} passage{'' if sheet.rows == 1 else 's'}"
    of = (f"all {sheet.available} there are" if sheet.rows == sheet.available and sheet.rows < size
          else f"drawn at random from {sheet.available}")
    click.echo(f"Wrote {sheet.path}: {drawn} ({of}"
               + (f"; reviews: {sheet.provenance['reviews']}" if sheet.provenance["reviews"] != "all" else "")
               + (f'; under headings containing "{sheet.provenance["section"]}"' if sheet.provenance["section"] else "")
               + "), in random order, with a column for each theme: "
               + ", ".join(sheet.themes) + ', and "No theme".')
    guide = "its \"How to label\" sheet" if not sheet.companions else str(sheet.companions[0])
    click.echo(f"Mark x under each theme a passage is about (? when unsure, x under \"No theme\" when none): "
               f"{guide} defines each theme. Then run: casereview evaluate --gold {sheet.path}"
               + db_argument(db_path or default_db()) + (" --model FOLDER" if sheet.other_themes else ""))
    if sheet.other_themes:
        one = len(sheet.other_themes) == 1
        click.echo(f"The passages were tagged by a model with {'a theme' if one else 'themes'} of its own "
                   f"({', '.join(sheet.other_themes)}), which {'has a column' if one else 'have columns'} too, "
                   "without a definition: for evaluate, give that model's folder with --model.")
    if sheet.companions:
        click.echo(f"Provenance (database, models, run, seed) is in {sheet.companions[1]}: keep it with the CSV.")


# --------------------------------------------------------------------------- serve


@click.command("serve", context_settings=CONTEXT)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port to listen on (0: any free port).")
@DB_OPTION
@_user_errors
def serve_command(port: int, db_path: Path | None) -> None:
    """Search the reviews in your web browser: starts a small web server on this computer only.

    Open the address it prints (http://127.0.0.1:8765/) in a browser on this computer: a search form with
    the same words, themes and filters as `casereview search`, each passage found with its review, page and
    themes, and a page for each passage that shows it in its place (the passages before and after it), its
    themes with the sentences that show them, and the passages most like it in other reviews. Other
    computers cannot reach it, and nothing is sent anywhere. Leave it running while you search; press
    Ctrl+C to stop it. A `casereview run` can add reviews meanwhile: the next search sees them.

    \b
    Examples:
      casereview serve
      casereview serve --port 8800 --db outputs/wales.duckdb
    """
    from pipeline.search import prepare_for_reading
    from pipeline.settings import no_database_message
    from pipeline.web import HOST, make_server

    path = db_path or default_db()
    if not path.exists():
        raise CaseReviewError(no_database_message(path))
    prepare_for_reading(path)  # any upgrade or index rebuild now: the pages only read
    try:
        server = make_server(db_path, port)
    except OSError as exc:
        raise CaseReviewError(f"cannot listen on port {port} ({exc.strerror or exc}): is `casereview serve` already "
                              f"running? Stop it, or choose another port with --port {port + 1 if port else 8766}"
                              ) from None
    address = f"http://{HOST}:{server.server_address[1]}/"
    click.echo(f"Searching {path}: open {address} in your web browser. Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()


# --------------------------------------------------------------------------- reviews
@click.command("reviews", context_settings=CONTEXT)
@review_filter_options
@click.option("--containing", default=None, metavar="TEXT",
              help="Only the reviews whose title or id contains this text, e.g. \"Child H\".")
@click.option("--unread", is_flag=True, help="Only the reviews that could not be read, each with why.")
@JSON_OPTION
@DB_OPTION
@_user_errors
def reviews_command(year_from: int | None, year_to: int | None, nation: str | None, review_type: str | None,
                    area: str | None, containing: str | None, unread: bool, as_json: bool,
                    db_path: Path | None) -> None:
    """List the reviews in the database with their ids, newest first.

    Each review's id, title, area, nation, type and year, whether it was read (its pages and passages, and its
    commonest learning themes) or why not. The id is what --review takes, to search one review
    (casereview search "health visitor" --review ID), and what casereview remove takes. The web page that
    casereview serve opens has the same list under "The reviews".

    \b
    Examples:
      casereview reviews
      casereview reviews --area Northmoor
      casereview reviews --containing "Child H"
      casereview reviews --unread
      casereview reviews --nation Wales --json
    """
    from pipeline.outputs.common import theme_names
    from pipeline.outputs.reviewlist import format_reviews, list_reviews

    rows, about = list_reviews(db_path, year_from=year_from, year_to=year_to, nation=nation,
                               review_type=review_type, area=area, unread=unread, containing=containing)
    if as_json:
        for row in rows:
            _echo_json(row)
        return
    click.echo(format_reviews(rows, about, theme_names()))


OUTPUT_COMMANDS: tuple[click.Command, ...] = (
    search_command, searches_command, similar_command, export_command, trends_command, report_command, findings_command,
    reviews_command, label_sheet_command, serve_command,
)


def add_output_commands(group: click.Group) -> None:
    """Attach search, searches, similar, export, trends, report, findings, reviews, label-sheet and serve to the
    ``casereview`` group."""
    for command in OUTPUT_COMMANDS:
        group.add_command(command)
