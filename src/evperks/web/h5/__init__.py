"""The member H5 (用户端) at ``/h5``: mobile-first pages opened from the operator's official account."""
