"""Letter verification: the code printed on an approved letter and the public check of it."""
