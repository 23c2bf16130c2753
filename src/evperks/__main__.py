"""``python -m evperks`` is the ``evperks`` command, also where the console script is not on PATH."""

from evperks.cli import app

app(prog_name="evperks")
