"""Pure business rules: no IO, no clock, no database. Time is always passed in."""
