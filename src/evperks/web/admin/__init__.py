"""The admin console (平台端) at ``/admin``: server-rendered pages for operator staff."""
