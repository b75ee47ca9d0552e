"""Operations: backups and restores of the database and attachments."""
