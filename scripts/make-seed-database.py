#!/usr/bin/env python3
"""Writes a database in the seed crate's format (agent-sdk-store-sqlite), for `import --seed` tests.

    make-seed-database.py ROWS.json OUT.sqlite

ROWS.json is {"records": [[pool_id, seq, kind, payload_json], ...], "heads": {pool_id: seq}}: the
rows of agent_pool_records, written as given (so a test can leave a gap or a bad payload), and
of agent_pool_event_seq. The file is in WAL mode, as the seed crate left it. Python's sqlite3 is
an independent writer: nothing of this package is involved in making the file.
"""
import json
import sqlite3
import sys


def main() -> int:
    rows_path, out_path = sys.argv[1], sys.argv[2]
    with open(rows_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    db = sqlite3.connect(out_path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE agent_pool_records (pool_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, "
        "payload_json TEXT NOT NULL, PRIMARY KEY (pool_id, seq))"
    )
    db.execute("CREATE TABLE agent_pool_event_seq (pool_id TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL)")
    with db:
        db.executemany("INSERT INTO agent_pool_records VALUES (?, ?, ?, ?)", spec["records"])
        db.executemany("INSERT INTO agent_pool_event_seq VALUES (?, ?)", sorted(spec["heads"].items()))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
