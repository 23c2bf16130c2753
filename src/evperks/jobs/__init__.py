"""Scheduled jobs: the jobs table as a queue, job kinds, periodic tasks and the scheduler loop.

Modules, inward first: ``queue`` (enqueue/claim/finish rows), ``registry`` (kinds and periodic tasks),
``cadence`` (when periodic tasks run), ``periodic``, ``runner``, ``kinds`` (the shipped kinds) and
``scheduler`` (``run_due``, ``Scheduler``, ``start_in_thread``).

Nothing is imported here on purpose: services import ``evperks.jobs.queue.enqueue``, and ``kinds``
imports services, so importing the whole package from here would make those imports circular.
"""
