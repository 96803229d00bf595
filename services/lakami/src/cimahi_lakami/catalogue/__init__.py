"""The letter catalogue: letter types as published service standards, and their typed fields."""
