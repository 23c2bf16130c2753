"""Use cases. Each public function is one transaction; they call the domain and the database."""
