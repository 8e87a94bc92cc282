"""Extraction on real language in many layouts: the shared corpus texts re-typeset, then read back.

``../shared/corpus/*.txt`` are real public documents as text. This script turns three of them into the demo
corpus's source markup (headings, paragraphs, lists and, for the literature review, its numbered notes as
footnotes; the big review split into three parts), typesets each in four layouts with
``scripts/render_demo_corpus.py`` (single and two columns, justified, hyphenated, serif, running headers,
page footers, contents pages, a table with and without rules), and reads every PDF back with our extractor.
Nothing is written into the project: the PDFs go to a temporary folder (or ``--out``). The cleaning is
heuristic, so the source paragraphs keep some artefacts of the original extraction; they are in the truth
text too and do not count against us. Contents pages are left out of the truth text, and contents lists
out of the text compared with it, as the pipeline sets them aside.

For each PDF it prints word-order F1 against the known source text (ours, and plain pdfplumber
``extract_text()`` in the same run as the baseline) and paragraph structure: of the source's blocks, how
many come back exactly (or joined with the blocks that carry on their sentence, where the source breaks a
paragraph mid-sentence, as the extractor joins them); how many extracted blocks are only a fragment of a
source block (a paragraph cut in two); and how many paragraphs start in lower case (cut mid-sentence). For
speed on the same files run ``benchmarks/extract_fidelity.py DIR`` on the ``--out`` folder.

Usage:  .venv/bin/python benchmarks/layout_stress.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import render_demo_corpus as R  # noqa: E402
from extract_fidelity import kept_text, plumber_text, word_order_f1, words  # noqa: E402

from pipeline.extract import extract_pdf  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"

LAYOUTS = {
    "L1": "single-column,running-header,footer-page-of,contents-dotted",
    "L2": "two-column,running-header,footer-page-number,justified,contents-plain",
    "L3": "two-column,hyphenated,serif,footer-page-of",
    "L4": "single-column,justified,serif,running-header,footer-page-number,unruled-tables",
}
TABLE_IN = {"L4"}  # variants that get a table of sections (chronology-table)

CHAR_MAP = {"\uf0b7": "•", "\uf0a7": "•", "\uf0d8": "•", "\uf0fc": "•", "\ufffd": "", "\u200b": "", "\u00ad": "",
            "\ufb01": "fi", "\ufb02": "fl", "\u2212": "-", "\u2010": "-", "\u2011": "-"}


def to_cp1252(text: str) -> str:
    for a, b in CHAR_MAP.items():
        text = text.replace(a, b)
    return text.encode("cp1252", errors="ignore").decode("cp1252")


BULLET_RE = re.compile(r"^(•|–|-|\*)\s+(.*)$")
ORDERED_RE = re.compile(r"^(\d{1,2})\.\s+(.*)$")
SENT_END = tuple(".?!:;”’\")")


def is_heading_line(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 75 or len(s.split()) > 11:
        return False
    if s[-1] in ".,;:" or not (s[0].isupper() or s[0].isdigit()):
        return False
    if BULLET_RE.match(s) or ORDERED_RE.match(s):
        return False
    if re.fullmatch(r"[\d\s.,%()]+", s):
        return False
    return sum(ch.isalpha() for ch in s) >= 3


def clean(text: str, footnotes_mode: bool):
    """Returns (blocks, footnotes); blocks are (kind, text) with kind in h2/h3/p/bullet/item."""
    raw = [to_cp1252(ln.rstrip("\n")) for ln in text.split("\n")]
    # pages: a line beginning with a single space (not blank) starts a new page
    pages: list[list[str]] = [[]]
    for ln in raw:
        if ln.startswith(" ") and ln.strip() and pages[-1]:
            pages.append([])
        pages[-1].append(ln.strip())
    counts: dict[str, int] = {}
    for ln in (x for p in pages for x in p):
        if ln and len(ln) < 80:
            counts[ln] = counts.get(ln, 0) + 1
    footnotes: dict[str, str] = {}
    next_fn = 1
    body_pages = []
    for page in pages:
        page = [ln for ln in page if not re.fullmatch(r"\d{1,3}|Page \d+( of \d+)?", ln)
                and not (ln and counts.get(ln, 0) >= 3 and not BULLET_RE.match(ln))]
        if footnotes_mode:
            start = None
            for i, ln in enumerate(page):
                if re.match(rf"^{next_fn} [A-Z‘“a-z(]", ln) and not ln.isupper() and i > 0:
                    start = i
                    break
            if start is not None:
                notes_lines, page = page[start:], page[:start]
                cur_labels = []
                for ln in notes_lines:
                    m = re.match(rf"^{next_fn} (.*)$", ln)
                    if m:
                        cur_labels.append(str(next_fn))
                        footnotes[str(next_fn)] = m.group(1)
                        next_fn += 1
                    elif cur_labels and ln:
                        footnotes[cur_labels[-1]] += " " + ln
                for lab in cur_labels:
                    pat = re.compile(rf"(?<=[A-Za-z\).,’”;:]){lab}(?!\d)")
                    for i, ln in enumerate(page):
                        if pat.search(ln):
                            page[i] = pat.sub(f"[^{lab}]", ln, count=1)
                            break
                    else:
                        for i in range(len(page) - 1, -1, -1):
                            if page[i]:
                                page[i] = page[i] + f"[^{lab}]"
                                break
        body_pages.append(page)
    lines = [ln for p in body_pages for ln in p]
    nonblank = [len(ln) for ln in lines if ln]
    typical = sorted(nonblank)[int(len(nonblank) * 0.8)]
    blocks: list[list] = []  # [kind, text]
    cur: list | None = None
    prev_ended = True

    def close():
        nonlocal cur
        if cur and cur[1].strip():
            blocks.append(cur)
        cur = None

    i = 0
    while i < len(lines):
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not ln:
            close()
            prev_ended = True
            i += 1
            continue
        m_b, m_o = BULLET_RE.match(ln), ORDERED_RE.match(ln)
        if (cur is None or prev_ended) and is_heading_line(ln) and (not nxt or nxt[:1].isupper() or nxt[:1].isdigit()
                                                                   or BULLET_RE.match(nxt) or nxt.isupper()):
            close()
            text = ln
            if ln.isupper() and nxt.isupper() and len(nxt) < 60:
                text += " " + nxt
                i += 1
            level = "h2" if (text.isupper() or re.match(r"^\d+ [A-Z]", text)) else "h3"
            blocks.append([level, text])
            prev_ended = True
            i += 1
            continue
        if m_b and m_b.group(2):
            close()
            cur = ["bullet", m_b.group(2)]
        elif m_o and (cur is None or prev_ended):
            close()
            cur = ["item", ln]
        elif cur is None:
            cur = ["p", ln]
        else:
            if cur[1].endswith("-") and len(cur[1]) > 1 and cur[1][-2].isalpha():
                cur[1] += ln
            else:
                cur[1] += " " + ln
        prev_ended = ln.endswith(SENT_END)
        if prev_ended and len(ln) < 0.8 * typical and cur and cur[0] == "p":
            close()
        i += 1
    close()
    # all-caps chapter headings exist? else make every heading h2
    if not any(k == "h2" for k, _ in blocks):
        blocks = [["h2" if k == "h3" else k, t] for k, t in blocks]
    # merge headings that immediately follow each other with the same level? keep as-is
    return [(k, " ".join(t.split())) for k, t in blocks], footnotes


def split_parts(blocks, n_parts):
    """Split at h2 headings into n_parts roughly equal by words."""
    total = sum(len(t.split()) for _, t in blocks)
    parts, cur, words = [], [], 0
    for k, t in blocks:
        if k == "h2" and cur and words >= total / n_parts and len(parts) < n_parts - 1:
            parts.append(cur)
            cur, words = [], 0
        cur.append((k, t))
        words += len(t.split())
    parts.append(cur)
    return parts


def section_table(blocks):
    rows = [("No.", "Section", "Opening words")]
    for idx, (k, t) in enumerate(blocks):
        if k in ("h2", "h3") and len(rows) < 14:
            follow = next((tt for kk, tt in blocks[idx + 1:] if kk == "p"), "")
            rows.append((str(len(rows)), t.replace("|", "/"),
                         " ".join(follow.replace("|", "/").split()[:12])))
    return ["| " + " | ".join(r) + " |" for r in rows]


def to_markup(doc_id, title, header, blocks, footnotes, layout, with_table, fn_limit):
    body = [b for b in blocks]
    if not body or body[0][0] != "h2":
        body.insert(0, ("h2", "Introduction"))
    cited = set()
    out_blocks = []
    for k, t in body:
        if k == "h2":
            out_blocks.append(f"## {t}")
        elif k == "h3":
            out_blocks.append(f"### {t}")
        elif k == "bullet":
            out_blocks.append(f"- {t}")
        elif k == "item":
            out_blocks.append(t)
        else:
            # avoid accidental headings / list / table / quote markup at line start
            if t[:1] in "#|>" or t.startswith("- ") or R.FOOTNOTE_DEF_RE.match(t):
                t = "(" + t + ")"
            out_blocks.append(t)
        cited |= set(R.FOOTNOTE_REF_RE.findall(t))
    if fn_limit == 0:
        out_blocks = [R.FOOTNOTE_REF_RE.sub("", b) for b in out_blocks]
        cited = set()
    if with_table:
        pos = 2 if len(out_blocks) > 3 else len(out_blocks)
        out_blocks.insert(pos, "\n".join(section_table(body)))
    notes = []
    for lab in sorted(cited, key=int):
        txt = footnotes.get(lab, "Note.")
        if len(txt) > fn_limit:
            txt = txt[:fn_limit].rsplit(" ", 1)[0] + " ..."
        notes.append(f"[^{lab}]: {txt}")
    tokens = [x for x in layout.split(",")]
    if cited:
        tokens.append("footnotes")
    if with_table:
        tokens.append("chronology-table")
    # numbered paragraphs: detect as the renderer would
    if any(R.NUMBERED_RE.match(b) for b in out_blocks if not b.startswith(("#", "|", "- "))
           and not R.LIST_ITEM_RE.match(b)):
        tokens.append("numbered-paragraphs")
    if "running-header" not in tokens:
        header_line = ""
    else:
        header_line = f"header: {header}\n"
    front = (f"---\nreview_id: {doc_id}\ntitle: {title}\narea: Test corpus\nnation: England\n"
             f"review_type: other\nyear: 2024\npublished: 2024-01-15\nlayout: {', '.join(tokens)}\n"
             f"{header_line}---\n\n# {title}\n\nStress-test document typeset from a public text.\n\n")
    # separate list items from following paragraphs by blank lines (each block its own group)
    return front + "\n\n".join(out_blocks) + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def documents() -> list[tuple[str, str, str, list, dict]]:
    """The documents to typeset: (id, title, running header, blocks, footnotes)."""
    docs = []
    dfe = (CORPUS / "dfe-2010-reunification-research-brief.txt").read_text(encoding="utf-8")
    b, f = clean(dfe, False)
    docs.append(("dfe-brief", "Reunification research brief", "Research brief: maltreated children going home", b, f))
    afc = (CORPUS / "afc-nspcc-2024-home-again-report.txt").read_text(encoding="utf-8")
    b, f = clean(afc, False)
    docs.append(("afc-home-again", "Home again report", "Home again: reunification practice in England", b, f))
    bri = (CORPUS / "bristol-nspcc-reunification-literature-review.txt").read_text(encoding="utf-8")
    b, f = clean(bri, True)
    for n, part in enumerate(split_parts(b, 3), 1):
        docs.append((f"bristol-part{n}", f"Reunification literature review part {n}",
                     f"Reunification: a literature review (part {n})", part, f))
    return docs


def render(document: tuple[str, str, str, list, dict], layout_id: str, out: Path) -> Path | None:
    """Typeset one document in one of ``LAYOUTS`` into ``out``: the PDF (its truth text beside it), or None."""
    doc_id, title, header, blocks, fns = document
    rid = f"{doc_id}-{layout_id.lower()}"
    (out / "src").mkdir(parents=True, exist_ok=True)
    for fn_limit in (260, 140, 0):  # shorter footnotes when they do not fit on their page
        path = out / "src" / f"{rid}.md"
        path.write_text(to_markup(rid, title, header, blocks, fns, LAYOUTS[layout_id], layout_id in TABLE_IN,
                                  fn_limit), encoding="utf-8")
        try:
            source = R.parse_source(path, check_name=True)
            pdf, truth, _ = R.render_review(source)
        except R.SourceError as error:
            if "footnotes" in str(error) and fn_limit:
                continue
            print(f"{rid}: not typeset ({error})", file=sys.stderr)
            return None
        except Exception:  # noqa: BLE001 - report and go on with the other layouts
            print(f"{rid}: typesetting failed\n{traceback.format_exc()}", file=sys.stderr)
            return None
        (out / f"{rid}.pdf").write_bytes(pdf)
        (out / f"{rid}.truth.txt").write_text(truth, encoding="utf-8")
        return out / f"{rid}.pdf"
    return None


def render_all(out: Path) -> list[Path]:
    """Typeset every document in every layout into ``out``; the PDFs written."""
    written = [render(document, layout_id, out) for document in documents() for layout_id in LAYOUTS]
    return [pdf for pdf in written if pdf is not None]


def _norm(text: str) -> str:
    return " ".join(words(text))


def mid_sentence_runs(raw: list[str]) -> list[list[int]]:
    """Runs of consecutive source blocks broken in the middle of a sentence (one ends without . ! ? : ; and the
    next starts in lower case): an artefact of the original text, which the extractor may join back."""
    runs: list[list[int]] = []
    for i, text in enumerate(raw):
        previous = raw[i - 1].rstrip() if i else ""
        if runs and previous[-1:] not in ".!?:;" and text.lstrip()[:1].islower():
            runs[-1].append(i)
        else:
            runs.append([i])
    return [run for run in runs if len(run) > 1]


def structure(pdf: Path) -> dict:
    """Word-order F1 (ours and pdfplumber's) and paragraph structure of one PDF against its truth."""
    truth = pdf.with_suffix(".truth.txt").read_text(encoding="utf-8")
    raw = [t for t in truth.split("\n\n") if t.strip()]
    source = [_norm(t) for t in raw]
    known = set(source)
    document = extract_pdf(pdf)
    blocks = [b for b in document.blocks if b.kind != "contents"]
    got = [_norm(b.text) for b in blocks]
    found = set(got)
    exact = {i for i, t in enumerate(source) if t in found}
    for run in mid_sentence_runs(raw):  # read back whole, joined as one sentence: every part counts as read back
        if " ".join(source[i] for i in run) in found:
            exact.update(run)
    return {
        "f1": word_order_f1(kept_text(document), truth),
        "contents": len(document.blocks) - len(blocks),
        "f1_plumber": word_order_f1(plumber_text(pdf), truth),
        "source_blocks": len(source),
        "exact": len(exact),
        "fragments": sum(1 for b, t in zip(blocks, got, strict=True)
                         if b.kind != "table" and t and t not in known and any(t in s for s in source)),
        "lower_starts": sum(1 for b, t in zip(blocks, got, strict=True)
                            if b.kind == "paragraph" and b.text[:1].islower() and t not in known),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the PDFs (default: a temporary folder)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} not found: this benchmark needs the shared corpus beside the project")
    with tempfile.TemporaryDirectory() as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        pdfs = render_all(out)
        print(f"{'pdf':24s} {'F1':>7s} {'F1 plumber':>10s} {'source blocks':>13s} {'exact':>6s} "
              f"{'fragments':>9s} {'lower-case starts':>17s} {'contents lists':>14s}")
        totals = {"source_blocks": 0, "exact": 0, "fragments": 0, "lower_starts": 0}
        worst, worst_plumber = 1.0, 1.0
        for pdf in pdfs:
            row = structure(pdf)
            print(f"{pdf.stem:24s} {row['f1']:7.4f} {row['f1_plumber']:10.4f} {row['source_blocks']:13d} "
                  f"{row['exact']:6d} {row['fragments']:9d} {row['lower_starts']:17d} {row['contents']:14d}")
            for key in totals:
                totals[key] += row[key]
            worst, worst_plumber = min(worst, row["f1"]), min(worst_plumber, row["f1_plumber"])
        print(f"\nall: {len(pdfs)} PDFs; worst F1 {worst:.4f} (pdfplumber {worst_plumber:.4f}); source blocks "
              f"{totals['source_blocks']}, read back exactly {totals['exact']} "
              f"({totals['exact'] / max(1, totals['source_blocks']):.1%}); fragments {totals['fragments']}; "
              f"paragraphs starting in lower case {totals['lower_starts']}")


if __name__ == "__main__":
    main()
