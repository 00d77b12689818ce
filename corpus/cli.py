"""The articlebot command line: ingest, ask, list, remove, stats, feedback, check, backup, embed, feed, run (the Discord bot).

Settings come from the environment or ./.env, through corpus.settings (the bot reads the same way).

Output lines are a contract that benchmarks and scripts parse; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import time
import unicodedata
from pathlib import Path

from . import limits
from .feeds import cli as feed_cli
from .errors import CorpusError, DiskFullError, IngestError
from .reading import bulk
from .reading.ingest import find_sources
from .settings import EngineSettings, SettingsError, db_setting
from .storage import database
from .storage.scopes import Corpus, guild_dir
from .storage.store import resolve_db_path

PROG = "articlebot"


def _guild(value: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"[0-9]+", text):  # ASCII only: int() would also read "١٢٣" as 123
        raise argparse.ArgumentTypeError(f"guild id must be a number, got {value!r}")
    if not 0 < int(text) < 2**64:
        raise argparse.ArgumentTypeError(f"{text} is not a Discord server id: copy the server's id "
                                         f"(right-click the server, Copy Server ID)")
    return int(text)


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limit must be a number, got {value!r}") from None
    if not 1 <= n <= limits.MAX_RESULTS:
        raise argparse.ArgumentTypeError(f"--limit must be between 1 and {limits.MAX_RESULTS}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Answer questions about news articles with cited passages.")
    parser.add_argument("--db", metavar="PATH", help="SQLite file (default: ARTICLEBOT_DB from the environment or ./.env, "
                        "else ./articlebot.db)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="add articles from files, directories or URLs")
    p.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--title", help="title to use instead of the first line (single source only)")
    p.add_argument("--guild", type=_guild, metavar="ID", help="store in this Discord guild's scope (default: shared)")
    p.add_argument("--no-embed", action="store_true",
                   help="store the text only; vectors follow with `articlebot embed` (or the bot's worker)")

    p = sub.add_parser("embed", help="give every paragraph its sentence vector (for searching by meaning)")
    p.add_argument("--guild", type=_guild, metavar="ID", help="only this guild's file (default: every file)")

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--batch", metavar="FILE", help="one question per line (- for stdin); JSONL out with --json")
    p.add_argument("--limit", type=_limit, default=3, help="passages to return (default 3)")
    p.add_argument("--guild", type=_guild, metavar="ID", help="search as this guild (its articles + shared)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("list", help="list articles")
    p.add_argument("--guild", type=_guild, metavar="ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove", help="remove an article")
    p.add_argument("id", type=int)
    p.add_argument("--guild", type=_guild, metavar="ID")

    p = sub.add_parser("stats", help="counts and database size")
    p.add_argument("--guild", type=_guild, metavar="ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("feedback", help="votes on the bot's answers (👍/👎), to make real questions test cases")
    p.add_argument("--guild", type=_guild, metavar="ID", help="only this guild's votes (default: every file's)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    sub.add_parser("check", help="check the database file: SQLite integrity and the full-text index")
    p = sub.add_parser("backup", help="copy the database and its guild files into a folder, safe while the bot runs")
    p.add_argument("dest", metavar="DEST_DIR", help="an empty or new folder; the copy keeps the layout")

    feed_cli.add_commands(sub, _guild)
    sub.add_parser("run", help="start the Discord bot (settings from the environment or .env)")
    return parser


# What each command needs of the database: (the file must exist, the command writes to it).
# Only the default ./articlebot.db is created by a reading command, so a mistyped --db is an error.
NEEDS = {"ingest": (False, True), "ask": (True, False), "list": (True, False), "stats": (True, False),
         "remove": (True, True), "embed": (True, True), "backup": (True, False), "feedback": (True, False),
         "feed": (False, True)}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "run":
        from bot.main import run

        return run(db=args.db)
    path = None
    try:
        EngineSettings.load()  # a bad value stops here, in one line, not halfway through a command
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        path = resolve_db_path(args.db)
        if args.command == "check":
            return _check(path)
        with _open(path, args) as corpus:
            return COMMANDS[args.command](corpus, args)
    except CorpusError as exc:
        _error(str(exc))
        return 1
    except sqlite3.Error as exc:
        _error(str(database.explain(exc, path)))
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `articlebot ask ... | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _open(path: Path, args) -> Corpus:
    must_exist, writes = NEEDS[args.command]
    explicit = bool(args.db or db_setting())
    readonly = database.check_access(path, must_exist=must_exist and explicit, writes=writes)
    return Corpus.open(path, readonly=readonly)


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (escape sequences in a file name), bidi overrides
    and undecodable bytes are shown as escapes instead of acting on the terminal."""
    return "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if "\udc80" <= ch <= "\udcff":  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")


def _error(message: str) -> None:
    print(f"error: {printable(message)}", file=sys.stderr)


def plural(n: int, word: str) -> str:
    """"1 article", "9,963 paragraphs": every count the command line prints is written this one way."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


class _Skips:
    """Files a command over every file could not use: one line each (naming the file), and exit code 1."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, error: CorpusError) -> None:
        self.count += 1
        _error(f"{error} (skipped; the other files were served)")


def _ingest(corpus: Corpus, args) -> int:
    sources, skipped = find_sources(args.sources)
    for path, why in skipped:
        print(printable(f"skipped {path}: {why}"), file=sys.stderr)
    if not sources:
        _error("no .txt, .md, .html or .htm files found")
        return 1
    if args.title and len(sources) > 1:
        _error("--title applies to a single article, but several were given")
        return 1
    corpus.refuse_damaged(args.guild)  # SQLite would write into a damaged file and spread the damage
    failed = 0
    progress = _Progress(len(sources)) if len(sources) > 5 and sys.stderr.isatty() else None
    # A shared add is the operator's, over every file: it says which guilds hold an article already.
    copies = corpus.guild_copies(on_error=_not_searched) if args.guild is None else {}
    for batch in _batches(bulk.prepared(sources, title=args.title)):
        for line, ok in _ingest_batch(corpus, batch, args, copies):
            failed += not ok
            if progress:
                progress.clear()
            print(printable(line), file=sys.stdout if ok else sys.stderr, flush=progress is not None)
            if progress:
                progress.step()
    if progress:
        progress.done()
    if not args.no_embed and len(sources) > failed:
        _embed(corpus, corpus.pending_vectors(args.guild))
    return 1 if failed else 0


def _not_searched(error: CorpusError) -> None:
    print(printable(f"note: {error} (not searched for copies of these articles)"), file=sys.stderr)


def _embed_command(corpus: Corpus, args) -> int:
    if not corpus.semantic.enabled or corpus.semantic.encoder() is None:
        _error(f"searching by meaning is {corpus.semantic.status}")
        return 1
    skips = _Skips()
    if args.guild:
        pending = corpus.pending_vectors(args.guild)
    else:
        pending = corpus.pending_vectors(every_file=True, on_error=skips)
    if not _embed(corpus, pending, on_error=skips):
        files = 1 if args.guild else len(corpus.scopes()) - skips.count
        print(f"nothing to embed: every paragraph has its vector ({plural(files, 'file')} checked; "
              f"{corpus.semantic.status})", file=sys.stderr)
    return 1 if skips.count else 0


def _embed(corpus: Corpus, pending, *, on_error=None) -> int:
    """Vectors for the paragraphs that have none, with a progress bar on a terminal; one line on stderr.
    Returns how many paragraphs needed one."""
    total = sum(n for _, n in pending)
    if not total:
        return 0
    started = time.monotonic()
    progress = _Progress(total, "vectors") if sys.stderr.isatty() else None
    done = corpus.embed([store for store, _ in pending], progress=progress.advance if progress else None,
                        on_error=on_error)
    if progress:
        progress.done()
    print(f"embedded {plural(done, 'paragraph')} in {time.monotonic() - started:.1f} s "
          f"({corpus.semantic.status})", file=sys.stderr)
    return total


BATCH_ARTICLES = 64    # stored in one transaction by `ingest` (a commit each cost more than the article)
BATCH_SECONDS = 1.0    # ... or what arrived in this long: slow sources (URLs) still report as they come


def _batches(items):
    """(source, prepared article) pairs in batches of up to BATCH_ARTICLES, or of what arrived within
    BATCH_SECONDS. Interrupted while waiting for the next one, the batch so far is still stored."""
    batch, started = [], time.monotonic()
    items = iter(items)
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except KeyboardInterrupt:
            if batch:
                yield batch
            raise
        batch.append(item)
        if len(batch) >= BATCH_ARTICLES or time.monotonic() - started >= BATCH_SECONDS:
            yield batch
            batch, started = [], time.monotonic()
    if batch:
        yield batch


def _ingest_batch(corpus: Corpus, batch: list, args, copies=None) -> list[tuple[str, bool]]:
    """The lines to print for a batch, in order. Its readable articles are stored in one transaction; if
    that fails (a full disk), one by one, so that only the article that does not fit fails."""
    articles = [article for _, article in batch if not isinstance(article, IngestError)]
    try:
        results = iter(corpus.add_many(articles, guild_id=args.guild, added_by="cli"))
    except (IngestError, sqlite3.Error):
        return [_ingest_one(corpus, source, article, args, copies) for source, article in batch]
    return [(f"error: {source}: {article}", False) if isinstance(article, IngestError)
            else (_added_line(source, next(results), article, copies), True) for source, article in batch]


def _added_line(source: str, result, article, copies=None) -> str:
    if result.status == "added":
        held = (copies or {}).get(article.digest, [])
        also = ("; guild " + ", guild ".join(f"{g} holds it too (#{i})" for g, i in held)
                + ": its answers show each passage once" if held else "")
        return (f'added #{result.article_id} "{result.title}" ({plural(result.paragraphs, "paragraph")})'
                f" from {source}{also}")
    return f"duplicate of #{result.article_id} from {source}"


def _ingest_one(corpus: Corpus, source: str, article, args, copies=None) -> tuple[str, bool]:
    """The line to print for one source (read and analysed by corpus.reading.bulk), and whether it was stored. A
    full disk fails this source only. `copies`: the guild files' articles by content hash (a shared add)."""
    if isinstance(article, IngestError):
        return f"error: {source}: {article}", False
    try:
        result = corpus.add(article, guild_id=args.guild, added_by="cli")
    except IngestError as exc:
        return f"error: {source}: {exc}", False
    except sqlite3.Error as exc:
        error = database.explain(exc, corpus.path)
        if not isinstance(error, DiskFullError):
            raise error from exc
        return f"error: {source}: {error}", False
    return _added_line(source, result, article, copies), True


class _Progress:
    """A one-line progress bar on stderr, for terminals only."""

    def __init__(self, total: int, what: str = "") -> None:
        self.total, self.n, self.what = total, 0, what
        self.draw()

    def draw(self) -> None:
        width = 30
        filled = int(width * self.n / self.total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.n}/{self.total} {self.what}".rstrip())
        sys.stderr.flush()

    def advance(self, n: int) -> None:
        self.n += n
        self.draw()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")

    def step(self) -> None:
        self.n += 1
        self.draw()

    def done(self) -> None:
        self.clear()
        sys.stderr.flush()


def _ask(corpus: Corpus, args) -> int:
    if args.batch:
        return _ask_batch(corpus, args)
    if args.question is None:
        print("error: give a question, or --batch FILE", file=sys.stderr)
        return 2
    if corpus.count_articles(args.guild) == 0:
        print("error: the database has no articles: add some with `articlebot ingest PATH_OR_URL`", file=sys.stderr)
        return 1
    answer = corpus.ask(args.question, guild_id=args.guild, limit=args.limit)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    if answer.corrections:
        print(f"({answer.corrections_note()})\n")
    if not answer.answered:
        print(f"Not found in the {plural(corpus.count_articles(args.guild), 'article')} I know.")
        if answer.results:
            print("Closest passages:\n")
    for p in answer.results:
        who = f" ({', '.join(p.speakers)} speaking)" if p.speakers else ""
        print(printable(f"[{p.title}, paragraph {p.paragraph} of {p.paragraphs_total}]{who}"
                        + (f" {p.url}" if p.url else "")))
        print(f"  {p.text}\n")
    return 0


def _ask_batch(corpus: Corpus, args) -> int:
    if not args.json:
        print("error: --batch prints JSON lines: add --json", file=sys.stderr)
        return 2
    try:
        stream = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"error: {args.batch}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with stream:
        for line in stream:
            question = line.rstrip("\n")
            try:
                out = corpus.ask(question, guild_id=args.guild, limit=args.limit).to_dict()
            except CorpusError as exc:
                out = {"question": question, "answered": False, "results": [], "error": str(exc)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 0


def _list(corpus: Corpus, args) -> int:
    articles = corpus.articles(args.guild)
    if args.json:
        print(json.dumps([a.to_dict() for a in articles], ensure_ascii=False))
        return 0
    if not articles:
        print("no articles yet: add some with `articlebot ingest PATH_OR_URL`")
    for a in articles:
        where = "" if a.scope == "shared" else f" [guild {a.scope}]"
        print(printable(f"#{a.id} {a.title} ({plural(a.paragraphs, 'paragraph')}){where}" + (f" {a.url}" if a.url else "")))
    return 0


def _remove(corpus: Corpus, args) -> int:
    corpus.refuse_damaged(args.guild)
    info = corpus.article(args.id, guild_id=args.guild)
    if corpus.remove(args.id, guild_id=args.guild):
        print(printable(f'removed #{args.id} "{info.title}"'))
        return 0
    scope = "the shared scope" if args.guild is None else f"guild {args.guild}"
    _error(f"no article #{args.id} in {scope}")
    return 1


def _stats(corpus: Corpus, args) -> int:
    stats = corpus.stats(args.guild)
    if args.json:
        print(json.dumps(stats))
        return 0
    print(printable(f"{plural(stats['articles'], 'article')}, {plural(stats['paragraphs'], 'paragraph')}, "
                    f"{stats['words']:,} words, {stats['db_bytes'] / 1_000_000:.1f} MB "
                    f"({stats['path']}, schema v{stats['schema_version']})"))
    print(printable(f"vectors: {stats['vectors']:,} of {plural(stats['paragraphs'], 'paragraph')}; "
                    f"searching by meaning: {stats['semantic']}"))
    if "guild_files" in stats:
        print(f"guilds with their own articles: {stats['guild_files']:,} "
              f"({stats['guild_bytes'] / 1_000_000:.1f} MB, in {guild_dir(Path(stats['path']))})")
    return 0


def _feedback(corpus: Corpus, args) -> int:
    from .storage.feedback import export

    skips = _Skips()
    rows = export(corpus, args.guild, every_file=args.guild is None, on_error=skips)
    for row in rows:
        if args.json:
            print(json.dumps(row.to_dict(), ensure_ascii=False))
            continue
        shown = ", ".join(f"#{p['article_id']} ¶{p['paragraph']}" for p in row.passages)
        where = f" [guild {row.guild}]" if row.guild else ""
        print(printable(f"+{row.up} -{row.down} {row.question!r} -> {shown or 'nothing'} ({row.last_at}){where}"))
    return 1 if skips.count else 0


def _check(path: Path) -> int:
    """`articlebot check`: one line per problem SQLite and FTS5 find; exit 1 if any."""
    database.check_access(path, must_exist=True, writes=False)
    files = [path, *sorted(guild_dir(path).glob("*.db"))]  # the shared file and every guild's
    problems = [(file, problem) for file in files for problem in database.check(file)]
    for file, problem in problems:
        print(printable(f"{file}: {problem}"))
    if not problems:
        what = f"{path}" + (f" and {plural(len(files) - 1, 'guild file')}" if len(files) > 1 else "")
        readonly = [str(file) for file in files if not database.writable(file)]  # checked on a copy
        print(printable(f"{what}: ok (SQLite integrity and full-text index checked)"
                        + (f"; read-only: {', '.join(readonly)}" if readonly else "")))
    return 1 if problems else 0


def _backup(corpus: Corpus, args) -> int:
    from .storage.backup import backup

    result = backup(corpus, args.dest, on_error=lambda error: _error(f"{error} (not backed up)"))
    print(printable(f"backed up {result.shared} and {plural(result.guild_files, 'guild file')} "
                    f"({result.bytes / 1_000_000:.1f} MB)"))
    return 1 if result.skipped else 0


def _feed(corpus: Corpus, args) -> int:
    def embed() -> None:
        _embed(corpus, corpus.pending_vectors(args.guild) if args.guild else corpus.pending_vectors(every_file=True))

    return feed_cli.run(corpus, args, printable=printable, embed=embed)


COMMANDS = {"feed": _feed, "ingest": _ingest, "ask": _ask, "list": _list, "remove": _remove, "stats": _stats,
            "embed": _embed_command, "backup": _backup, "feedback": _feedback}


if __name__ == "__main__":
    sys.exit(main())
