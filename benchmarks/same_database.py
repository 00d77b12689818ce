"""Do two articlebot databases store the same articles? Row by row: articles (every column but the time
each was added), paragraphs (text, speakers, terms, speaker index), the word counts, the write generation,
and every entry of the full-text index.

    python benchmarks/same_database.py A.db B.db [--show 5]

Prints one line per table ("same" or how many rows differ, with examples) and exits 1 on a difference.
Made to check that a faster ingest stores exactly what the previous code did (issue 18): build one
database with each (`articlebot --db A.db ingest --no-embed DIR`) and compare.
"""
from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys

TABLES = {
    "articles": ("SELECT id, scope, title, url, author, published, added_by, content_hash, paragraph_count,"
                 " language, title_index FROM articles ORDER BY id"),
    "paragraphs": "SELECT id, article_id, position, text, speakers, terms, speaker_index FROM paragraphs ORDER BY id",
    "words": "SELECT word, df FROM words ORDER BY word",
    "meta": "SELECT key, value FROM meta WHERE key IN ('generation', 'scope') ORDER BY key",
}


def rows(path: str, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def index_digest(path: str) -> tuple[int, str]:
    """Every entry of the full-text index (term, paragraph, column, offset), counted and digested."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    digest, count = hashlib.sha256(), 0
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.entries USING fts5vocab(main, paragraphs_fts, 'instance')")
        for row in conn.execute("SELECT term, doc, col, offset FROM temp.entries ORDER BY term, doc, col, offset"):
            digest.update(repr(row).encode())
            count += 1
    finally:
        conn.close()
    return count, digest.hexdigest()


def compare(a: str, b: str, show: int) -> int:
    differences = 0
    for table, sql in TABLES.items():
        left, right = rows(a, sql), rows(b, sql)
        if left == right:
            print(f"{table}: same ({len(left)} rows)")
            continue
        differences += 1
        changed = [(x, y) for x, y in zip(left, right) if x != y]
        print(f"{table}: DIFFERENT ({len(left)} vs {len(right)} rows, {len(changed)} of the paired rows differ)")
        for x, y in changed[:show]:
            print(f"  {x!r:.300}\n  {y!r:.300}")
    (count, left), (_, right) = index_digest(a), index_digest(b)
    print(f"full-text index: {'same' if left == right else 'DIFFERENT'} ({count} entries)")
    differences += left != right
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--show", type=int, default=3, help="differing rows to print per table")
    args = parser.parse_args()
    return compare(args.a, args.b, args.show)


if __name__ == "__main__":
    sys.exit(main())
