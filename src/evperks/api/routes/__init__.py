"""One router per audience: the charging platform, operator admins, the sandbox."""
