"""The yearly survey: asked, answered, reminded, closed and published."""
