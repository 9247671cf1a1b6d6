"""The teachers' settings for this computer (table ``settings``), as text by key."""

from __future__ import annotations

from assistant.store.db import Database

KEEP_AUDIO = "keep_audio"  # "yes": recordings stay after a draft is approved


class Settings:
    def __init__(self, db: Database):
        self.db = db

    def get(self, key: str, default: str) -> str:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    @property
    def keep_audio(self) -> bool:
        return self.get(KEEP_AUDIO, "no") == "yes"
