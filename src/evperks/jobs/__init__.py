"""Scheduled jobs: the jobs table as a queue, job kinds, periodic tasks and the scheduler loop.

Modules, inward first: ``queue`` (claim, renew, release and finish rows), ``lease`` (the heartbeat),
``registry`` (kinds and periodic tasks), ``cadence`` (when periodic tasks run), ``periodic``, ``runner``,
``kinds`` (the shipped kinds, which call services) and ``scheduler`` (``run_due``, ``Scheduler``,
``start_in_thread``). Services schedule
runs with ``evperks.db.schedule.enqueue`` and never import this package.
"""
