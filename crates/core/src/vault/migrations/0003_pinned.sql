-- Schema 3: secrets the user pinned (the tray offers them first).
ALTER TABLE secrets ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
