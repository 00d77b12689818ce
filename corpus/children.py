"""Worker processes that end with the process that started them.

A process pool's workers wait on their queue for ever: when the process that started them is killed
outright (SIGKILL, the out-of-memory killer), nothing tells them, and they live on, holding memory and
whatever files and pipes they inherited.
"""

from __future__ import annotations

import os
import threading
import time


def end_with_parent(parent: int, every: float = 0.5) -> None:
    """In a worker: exit as soon as `parent` (the pid its starter passed in, read before the start, so a
    starter that dies during the start is still noticed) is no longer this process's parent."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="articlebot-parent-watch").start()
