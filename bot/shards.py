"""``python -m bot.shards COMMAND ...``: run an ``articlebot`` command on every shard's database.

With ``ARTICLEBOT_DB=articlebot-{shard}.db`` each shard process keeps its servers' articles in its own
file (see docs/scaling.md). Shared articles (the command line's, visible in every server) must then be in
every file: ::

    SHARD_COUNT=4 ARTICLEBOT_DB='articlebot-{shard}.db' python -m bot.shards ingest report.txt
    python -m bot.shards --db 'articlebot-{shard}.db' --group 0,1 --group 2,3 stats   # 2 shards a process

A command with ``--guild ID`` goes only to the database of that server's shard, ``(ID >> 22) % SHARD_COUNT``.
A server's articles are one file beside its shard's database (``articlebot-0.guilds/<id>.db``), so
``move-guilds`` (bot stopped) moves each server's file to its shard's database after ``SHARD_COUNT`` or the
groups changed: ::

    python -m bot.shards --shard-count 4 --group 0,1 --group 2,3 move-guilds [--dry-run]

Settings come from the environment and ``.env`` like the bot's; ``--db``, ``--shard-count`` and
``--group`` override them. The exit code is the worst of the commands'.
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
from pathlib import Path
from typing import Optional, Sequence

from .settings import SHARD_PLACEHOLDER, Settings, SettingsError, database_path, shard_label


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a server's events (Discord's rule)."""
    return (guild_id >> 22) % shard_count


def _group(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(sorted({int(p) for p in text.replace(" ", ",").split(",") if p}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a group is shard ids separated by commas, e.g. 0,1 (got {text!r})") from None
    if not ids:
        raise argparse.ArgumentTypeError("an empty group")
    return ids


def _guild_in(command: Sequence[str]) -> Optional[int]:
    for i, arg in enumerate(command):
        value = None
        if arg == "--guild" and i + 1 < len(command):
            value = command[i + 1]
        elif arg.startswith("--guild="):
            value = arg.split("=", 1)[1]
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


MOVE_COMMAND = "move-guilds"


def layout_databases(template: str) -> list[Path]:
    """The existing databases that `template` names, whatever shard grouping made them."""
    shard_part = re.escape(template).replace(re.escape(SHARD_PLACEHOLDER), r"\d+(?:-\d+)*")
    return sorted(Path(p) for p in glob.glob(glob.escape(template).replace(glob.escape(SHARD_PLACEHOLDER), "*"))
                  if re.fullmatch(shard_part, p) and Path(p).is_file())


def move_guilds(template: str, count: int, groups, *, dry_run: bool) -> int:
    """Move every server's file to the database of its shard under this layout. A file with a WAL beside
    it is left alone: a process has it open (stop the bot first) or stopped uncleanly."""
    from corpus.storage.scopes import guild_dir

    target_of = {shard: Path(database_path(template, group)) for group in groups for shard in group}
    moved = problems = 0
    databases = layout_databases(template)
    if not databases:  # a typo in the template would otherwise "move 0 files" and succeed
        print(f"articlebot: no database matches {template} here: check --db or ARTICLEBOT_DB "
              f"(e.g. articlebot-{SHARD_PLACEHOLDER}.db)", file=sys.stderr)
        return 1
    for db in databases:
        for file in sorted(guild_dir(db).glob("*.db")):
            if not file.stem.isdigit():
                continue
            target_db = target_of[shard_of(int(file.stem), count)]
            if target_db == db:
                continue
            dest = guild_dir(target_db) / file.name
            problem = (f"{file}-wal exists: is the bot running? stop it, then run this again"
                       if Path(f"{file}-wal").exists() else
                       f"{dest} exists too: the server has articles in both; merge them by hand" if dest.exists()
                       else None)
            if problem:
                print(f"articlebot: guild {file.stem}: {problem}", file=sys.stderr)
                problems += 1
                continue
            print(f"guild {file.stem}: {file} -> {dest}{' (dry run)' if dry_run else ''}")
            if not dry_run:
                dest.parent.mkdir(parents=True, exist_ok=True)
                Path(f"{file}-shm").unlink(missing_ok=True)  # a closed file's leftover; SQLite remakes it
                file.rename(dest)
            moved += 1
    print(f"{'would move' if dry_run else 'moved'} {moved} guild file{'s' * (moved != 1)}")
    for db in sorted(set(target_of.values())):
        if not db.exists() and not dry_run and guild_dir(db).is_dir():
            from corpus import Corpus

            Corpus.open(db).close()  # the guild files moved in need their shared file beside them
            print(f"note: created {db}; add the shared articles to it (python -m bot.shards ingest ...)",
                  file=sys.stderr)
        elif not db.exists():
            print(f"note: {db} does not exist yet: its process creates it; add the shared articles to it "
                  f"(python -m bot.shards ingest ...)", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.shards", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", metavar="TEMPLATE", help="database path with {shard} (default: $ARTICLEBOT_DB)")
    parser.add_argument("--shard-count", type=int, metavar="N", help="default: $SHARD_COUNT")
    parser.add_argument("--group", dest="groups", type=_group, action="append", metavar="IDS",
                        help="one process's shard ids, e.g. --group 0,1 --group 2,3 (default: one shard per process)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="an articlebot command and its arguments")
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("give an articlebot command, e.g. ingest FILE")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"articlebot: {exc}", file=sys.stderr)
        return 2
    template = args.db or settings.db
    if args.shard_count is not None and args.shard_count < 1:  # `or` below would read -1 as "not given"
        print(f"articlebot: --shard-count must be 1 or more, got {args.shard_count}", file=sys.stderr)
        return 2
    count = args.shard_count or settings.shard_count
    if not template or SHARD_PLACEHOLDER not in template:
        print(f"articlebot: the database path needs {SHARD_PLACEHOLDER} (set ARTICLEBOT_DB or --db), "
              f"e.g. articlebot-{SHARD_PLACEHOLDER}.db", file=sys.stderr)
        return 2
    if not count or count < 1:
        print("articlebot: set SHARD_COUNT or --shard-count", file=sys.stderr)
        return 2
    groups = args.groups or [(i,) for i in range(count)]
    covered = sorted(i for g in groups for i in g)
    if covered != list(range(count)):
        print(f"articlebot: the groups must cover shards 0..{count - 1} once each (got {covered})", file=sys.stderr)
        return 2
    if args.command[0] == MOVE_COMMAND:
        extra = [a for a in args.command[1:] if a != "--dry-run"]
        if extra:
            parser.error(f"{MOVE_COMMAND} takes only --dry-run (got {' '.join(extra)})")
        return move_guilds(template, count, groups, dry_run="--dry-run" in args.command)
    guild = _guild_in(args.command)
    if guild is not None:
        groups = [g for g in groups if shard_of(guild, count) in g]

    from corpus import cli

    worst = 0
    for group in groups:
        path = database_path(template, group)
        print(f"== shard{'s' if len(group) > 1 else ''} {shard_label(group)}: {path}", file=sys.stderr, flush=True)
        code = cli.main(["--db", str(path), *args.command])
        sys.stdout.flush()
        worst = max(worst, code or 0)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
