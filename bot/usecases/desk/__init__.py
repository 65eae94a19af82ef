"""The secretary's desk: the board, the morning digest, members away and back."""
