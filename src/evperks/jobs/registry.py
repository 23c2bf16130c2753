"""Job kinds and periodic tasks: what a job of each kind does, and which tasks repeat on a schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evperks.services.context import Context

Handler = Callable[[Context, dict[str, Any]], dict[str, Any] | None]
NextRun = Callable[[Context, datetime], datetime]


class UnknownJobKind(LookupError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"no handler is registered for job kind {kind!r}")
        self.kind = kind


@dataclass(frozen=True)
class PeriodicTask:
    """A task that runs again and again under one ``task_key``.

    ``next_run_after(ctx, instant)`` must return an instant strictly after ``instant``. Aligned slots
    (every hour at :00 rather than an hour after the last run) let nodes that schedule the next run
    independently compute the same (task_key, run_at), which the jobs table stores only once.
    ``first_run_immediately`` suits sweeps that are harmless to run at any time: with it, a task that
    has never been scheduled runs at once instead of waiting for its first slot.
    """

    task_key: str
    kind: str
    next_run_after: NextRun
    payload: dict[str, Any] = field(default_factory=dict)
    first_run_immediately: bool = False


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._periodic: dict[str, PeriodicTask] = {}

    def add_kind(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def add_periodic(self, task: PeriodicTask) -> None:
        if task.kind not in self._handlers:
            raise ValueError(f"periodic task {task.task_key!r} needs job kind {task.kind!r} registered first")
        if task.task_key in self._periodic:
            raise ValueError(f"periodic task {task.task_key!r} is already registered")
        self._periodic[task.task_key] = task

    def handler(self, kind: str) -> Handler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise UnknownJobKind(kind) from None

    def periodic_tasks(self) -> list[PeriodicTask]:
        return list(self._periodic.values())

    def periodic_task(self, task_key: str, kind: str) -> PeriodicTask | None:
        """The periodic task a run belongs to, if any (the kind must match too)."""
        task = self._periodic.get(task_key)
        return task if task is not None and task.kind == kind else None
