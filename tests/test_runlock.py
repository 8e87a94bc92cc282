"""One run at a time per database: a second run stops at once, naming the first, and `status` tells a run
that is going from one that was killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.manifest import load_manifest
from pipeline.runlock import RunInProgress, lock_path, one_run_at_a_time, run_in_progress
from pipeline.settings import store_dir_for
from pipeline.store import Store
from tests.http_server import make_pdf


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "child-d.pdf").write_bytes(make_pdf("Child D was not seen alone by any professional."))
    path = tmp_path / "reviews.csv"
    path.write_text("review_id,title,area,nation,review_type,year,source\n"
                    "northmoor-2019-child-d,Child D,Northmoor,England,CSPR,2019,child-d.pdf\n", encoding="utf-8")
    return path


def _hold_lock(db: Path, manifest: Path) -> subprocess.Popen:
    """Another process holding the database's run lock (as a run does), until it is killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from pipeline.runlock import one_run_at_a_time
        with one_run_at_a_time({str(db)!r}, {str(manifest)!r}):
            print("held", flush=True)
            time.sleep(120)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_of_a_database_stops_at_once_and_names_the_run_under_way(tmp_path: Path, manifest: Path):
    db = tmp_path / "reviews.duckdb"
    Store(db)
    holder = _hold_lock(db, manifest)
    try:
        assert run_in_progress(db)["pid"] == holder.pid
        result = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes",
                                           "--quiet"])
        assert result.exit_code == 2, result.output
        assert f"a run of {manifest} started " in result.output and f"(process {holder.pid})" in result.output
        assert f"is already working on {db}, so this run did not start" in result.output
        assert "Wait for it to finish, then run again" in result.output
        with duckdb.connect(str(db), read_only=True) as con:  # it recorded nothing
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    finally:
        holder.kill()
        holder.wait()
    # the lock goes with the process that held it, however it ended: the next run goes ahead
    assert run_in_progress(db) is None and lock_path(db).exists()
    result = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "reviews processed: 1" in result.output
    with one_run_at_a_time(db):  # and lets go when it ends
        with pytest.raises(RunInProgress, match="another run|a run "):
            with one_run_at_a_time(db):
                pass


def test_status_tells_a_run_under_way_from_one_that_was_killed(tmp_path: Path, manifest: Path):
    db = tmp_path / "reviews.duckdb"
    store = Store(db)
    with one_run_at_a_time(db, manifest):
        run_id = store.start_run(manifest, "ab" * 32)
        entry = load_manifest(manifest).entries[0]
        store.record_skip(run_id, entry, "unchanged since the last run")
        going = CliRunner().invoke(main, ["status", "--db", str(db)])
        assert going.exit_code == 0, going.output
        assert f"last run: {run_id} (running now, so far): 0 processed, 1 skipped, 0 failed" in going.output
    killed = CliRunner().invoke(main, ["status", "--db", str(db)])  # marked running, but nothing holds the lock
    assert f"last run: {run_id} (stopped before it finished, without saying so" in killed.output
    assert "so far): 0 processed, 1 skipped, 0 failed" in killed.output


def test_commands_that_change_the_database_wait_for_a_run(tmp_path: Path, manifest: Path):
    db = tmp_path / "reviews.duckdb"
    ran = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes", "--quiet"])
    assert ran.exit_code == 0, ran.output
    holder = _hold_lock(db, manifest)
    try:
        for args, doing in ((["remove", "northmoor-2019-child-d", "--yes"], "remove them"),
                            (["topics", "fit"], "fit the topics"),
                            (["topics", "assign"], "place the passages it read in topics")):
            result = CliRunner().invoke(main, [*args, "--db", str(db)])
            assert result.exit_code == 2, result.output
            assert f"(process {holder.pid}) is working on {db}, so nothing was done: wait for it to finish, then " \
                   f"{doing} (`casereview status --db {db}` shows the run)." in " ".join(result.output.split())
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(db), read_only=True) as con:  # nothing was removed
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1


def test_a_run_started_while_remove_waits_for_its_answer_stops_and_the_review_stays_removed(tmp_path: Path,
                                                                                              manifest: Path):
    # `remove` checked for a run, then asked, then removed: a run started while it asked went ahead, and wrote
    # the removed review back (empty, "skipped: unchanged"). It now holds the lock from the question to the end.
    db = tmp_path / "reviews.duckdb"
    ran = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes", "--quiet"])
    assert ran.exit_code == 0, ran.output
    remove = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "remove", "northmoor-2019-child-d", "--db",
                               str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(300):  # until it asks (and so holds the lock)
            holder = run_in_progress(db)
            if holder and holder.get("command"):
                break
            time.sleep(0.1)
        assert holder == {"pid": remove.pid, "started": holder["started"], "command": "casereview remove"}
        refused = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(db), "--no-themes",
                                            "--quiet"])
        assert refused.exit_code == 2, refused.output
        assert "`casereview remove` started " in refused.output and f"(process {remove.pid}) is changing " \
               f"{db}, so this run did not start. Wait for it to finish, then run again." in \
               " ".join(refused.output.split())
        answered, _ = remove.communicate("y\n", timeout=60)
    finally:
        remove.kill()
        remove.wait()
    assert remove.returncode == 0 and "Removed 1 review" in answered, answered
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # the refused run recorded nothing
    assert run_in_progress(db) is None  # let go when it ended


def test_a_database_named_through_a_link_shares_the_run_lock_and_the_document_store(tmp_path: Path,
                                                                                   manifest: Path):
    db = tmp_path / "reviews.duckdb"
    Store(db)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "mine.duckdb"
    link.symlink_to(db)
    assert lock_path(link) == lock_path(db) and store_dir_for(link) == tmp_path / "reviews-store"
    assert store_dir_for(db) == tmp_path / "reviews-store" and store_dir_for("reviews.duckdb") == Path(
        "reviews-store")  # a name without a link is kept as given
    holder = _hold_lock(db, manifest)
    try:
        assert run_in_progress(link)["pid"] == holder.pid
        result = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--db", str(link), "--no-themes",
                                           "--quiet"])
        assert result.exit_code == 2 and "so this run did not start" in result.output, result.output
    finally:
        holder.kill()
        holder.wait()


def test_status_of_a_run_from_a_version_without_run_locks_does_not_call_it_killed(tmp_path: Path, manifest: Path):
    db = tmp_path / "reviews.duckdb"
    run_id = Store(db).start_run(manifest, "ab" * 32)  # no lock file: as a run by an earlier casereview
    result = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert f"last run: {run_id} (running, or stopped without saying so; so far): 0 processed" in result.output
