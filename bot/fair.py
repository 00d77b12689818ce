"""Serving servers in turn: a bounded number of jobs run at once, and those waiting are taken one server
at a time, so one server's adds can delay another's by at most one job.

A server that starts many jobs (or many servers one operator created) no longer fills a single first-come
queue: each owner (a server id; ``None`` for work no server asked for) has its own line, and a freed place
goes to the next owner in the rotation. A waiting list is refused only to an owner that already has a job
in it, so a server's first job always gets in line however busy the others keep the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from typing import AsyncIterator, Hashable, Optional

Owner = Optional[Hashable]


class TurnsFull(Exception):
    """This owner already has a job waiting and the waiting list is full."""


class Turns:
    """At most ``places`` holders at once; waiters served owner by owner, in turn.

    ``max_waiting`` bounds the waiting list for owners that already have a job in it: past it, such an
    owner's next job is refused (:class:`TurnsFull`); an owner with nothing waiting is always let in line.
    """

    def __init__(self, places: int, *, max_waiting: int) -> None:
        self.places = places
        self.max_waiting = max_waiting
        self._held = 0
        self._lines: OrderedDict[Owner, deque[asyncio.Future]] = OrderedDict()  # rotation order
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    def waiting_for(self, owner: Owner) -> int:
        return len(self._lines.get(owner, ()))

    @contextlib.asynccontextmanager
    async def turn(self, owner: Owner) -> AsyncIterator[None]:
        """Hold one place for the block; waits for this owner's turn when all are held."""
        await self._acquire(owner)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, owner: Owner) -> None:
        if self._held < self.places and not self._waiting:
            self._held += 1
            return
        if self._waiting >= self.max_waiting and self.waiting_for(owner):
            raise TurnsFull()
        ticket = asyncio.get_running_loop().create_future()
        self._lines.setdefault(owner, deque()).append(ticket)  # a new owner joins the rotation at its end
        self._waiting += 1
        try:
            await ticket  # set by _release: the place was handed over, still counted in _held
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._release()  # handed a place just as the caller gave up: pass it on
            else:
                self._forget(owner, ticket)
            raise

    def _forget(self, owner: Owner, ticket: asyncio.Future) -> None:
        line = self._lines.get(owner)
        if line is not None and ticket in line:
            line.remove(ticket)
            self._waiting -= 1
            if not line:
                del self._lines[owner]

    def _release(self) -> None:
        """Hand the place to the first waiter of the next owner in turn, or free it."""
        while self._lines:
            owner, line = next(iter(self._lines.items()))
            ticket = line.popleft()
            self._waiting -= 1
            if line:
                self._lines.move_to_end(owner)  # its next job waits for every other owner's turn
            else:
                del self._lines[owner]
            if not ticket.done():
                ticket.set_result(None)
                return
        self._held -= 1
