"""articlebot's Discord front end: the engine (corpus/) in front of people where they are.

Entry point: ``from bot.main import run; raise SystemExit(run())``.
"""

__all__ = ["run"]


def run(argv: list[str] | None = None, *, db: str | None = None) -> int:
    from .main import run as _run

    return _run(argv, db=db)
