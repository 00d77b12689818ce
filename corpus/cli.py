"""The articlebot command line: ingest, ask, list, remove, stats, backup, run (the Discord bot).

Settings come from the environment or ./.env, through corpus.settings (the bot reads the same way).

Output lines are a contract that benchmarks and scripts parse; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import limits
from .errors import CorpusError, IngestError
from .ingest import document_from_path, document_from_url, expand_paths, is_url
from .scopes import Corpus
from .settings import EngineSettings, SettingsError

PROG = "articlebot"


def _guild(value: str) -> int:
    if not value.strip().isdigit():
        raise argparse.ArgumentTypeError(f"guild id must be a number, got {value!r}")
    return int(value)


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

    p = sub.add_parser("backup", help="copy the database and its guild files into a folder, safe while the bot runs")
    p.add_argument("dest", metavar="DEST_DIR", help="an empty or new folder; the copy keeps the layout")

    sub.add_parser("run", help="start the Discord bot (settings from the environment or .env)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "run":
        from bot.main import run

        return run(db=args.db)
    try:
        EngineSettings.load()  # a bad value stops here, in one line, not halfway through a command
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with Corpus.open(args.db) as corpus:
            return COMMANDS[args.command](corpus, args)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `articlebot ask ... | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _ingest(corpus: Corpus, args) -> int:
    sources = expand_paths(args.sources)
    if not sources:
        print("error: no .txt, .md, .html or .htm files found", file=sys.stderr)
        return 1
    if args.title and len(sources) > 1:
        print("error: --title applies to a single article, but several were given", file=sys.stderr)
        return 1
    failed = 0
    progress = _Progress(len(sources)) if len(sources) > 5 and sys.stderr.isatty() else None
    for source in sources:
        try:
            if is_url(source):
                doc = document_from_url(source, title=args.title)
            else:
                doc = document_from_path(source, title=args.title)
            result = corpus.add(doc, guild_id=args.guild, added_by="cli")
        except IngestError as exc:
            failed += 1
            line = f"error: {source}: {exc}"
        else:
            line = (f'added #{result.article_id} "{result.title}" ({result.paragraphs} paragraphs)'
                    if result.status == "added" else f"duplicate of #{result.article_id}")
        if progress:
            progress.clear()
        print(line, flush=progress is not None)
        if progress:
            progress.step()
    if progress:
        progress.done()
    return 1 if failed else 0


class _Progress:
    """A one-line progress bar on stderr, for terminals only."""

    def __init__(self, total: int) -> None:
        self.total, self.n = total, 0
        self.draw()

    def draw(self) -> None:
        width = 30
        filled = int(width * self.n / self.total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.n}/{self.total}")
        sys.stderr.flush()

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
        print(f"Not found in the {corpus.count_articles(args.guild)} articles I know.")
        if answer.results:
            print("Closest passages:\n")
    for p in answer.results:
        print(f"[{p.title}, paragraph {p.paragraph} of {p.paragraphs_total}]" + (f" {p.url}" if p.url else ""))
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
        print(f"#{a.id} {a.title} ({a.paragraphs} paragraphs){where}" + (f" {a.url}" if a.url else ""))
    return 0


def _remove(corpus: Corpus, args) -> int:
    info = corpus.article(args.id, guild_id=args.guild)
    if corpus.remove(args.id, guild_id=args.guild):
        print(f'removed #{args.id} "{info.title}"')
        return 0
    scope = f"guild {args.guild}" if args.guild else "the shared scope"
    print(f"error: no article #{args.id} in {scope}", file=sys.stderr)
    return 1


def _stats(corpus: Corpus, args) -> int:
    stats = corpus.stats(args.guild)
    if args.json:
        print(json.dumps(stats))
        return 0
    print(f"{stats['articles']} articles, {stats['paragraphs']} paragraphs, {stats['words']:,} words, "
          f"{stats['db_bytes'] / 1_000_000:.1f} MB ({stats['path']}, schema v{stats['schema_version']})")
    if "guild_files" in stats:
        print(f"{stats['guild_files']} guild files, {stats['guild_bytes'] / 1_000_000:.1f} MB "
              f"({corpus.guild_dir})")
    return 0


def _backup(corpus: Corpus, args) -> int:
    from .backup import backup

    result = backup(corpus, args.dest)
    print(f"backed up {result.shared} and {result.guild_files} guild files ({result.bytes / 1_000_000:.1f} MB)")
    return 0


COMMANDS = {"ingest": _ingest, "ask": _ask, "list": _list, "remove": _remove, "stats": _stats, "backup": _backup}


if __name__ == "__main__":
    sys.exit(main())
