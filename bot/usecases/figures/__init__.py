"""The figures: /report and /figures, and the quarterly assessment."""
