"""The levy (retribusi): assessed at the recommendation, confirmed paid by a signed callback."""
