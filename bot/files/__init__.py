"""The admin's files: the roster and survey files read, exports, reports and backups written."""
