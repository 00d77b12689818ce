"""``python -m bot``: start the Discord bot (same as ``articlebot run``)."""

from .main import run

raise SystemExit(run())
