"""Jobs the background sender runs besides sending: other packages register them here
(the booking package releases the bookings nobody checked in), so the outbox does not
depend on them.

Each job returns how much it did; the sender runs them every ``BACKGROUND_TASK_SECONDS``,
and each must be safe to run in several sender processes at once.
"""

import time

from flask import current_app

TASKS = "roomloop.background_tasks"


def add_task(app, task):
    """Have the sender run ``task()`` (in an app context) every few seconds."""
    app.extensions.setdefault(TASKS, []).append(task)


def run_tasks():
    """Run every registered job once; return the work they did."""
    return sum(task() for task in current_app.extensions.get(TASKS, ()))


class TaskClock:
    """When the jobs are next due: often enough that a release is at most a minute late,
    seldom enough that a busy sender (woken by every booking) does not query for them
    after each one."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.next_at = 0.0

    def due(self):
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + self.seconds
        return True
