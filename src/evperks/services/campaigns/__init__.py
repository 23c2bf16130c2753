"""The campaign engine (活动): lifecycle, member binding, the five campaign types, packages and progress."""
