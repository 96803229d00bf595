"""The sweep: applications past their deadline (fiktif positif), permits about to expire."""
