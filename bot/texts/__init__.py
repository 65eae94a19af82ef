"""What the bot says and shows: texts, keyboards and charts, built from the catalog."""
