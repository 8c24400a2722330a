-- How many times a command has been handed to its device without an answer since the device last answered it
-- (a NotNow answer resets it). A command offered commands.maxAttempts times without an answer is FAILED, so a
-- command a device chokes on never blocks the commands queued behind it. Unlike attempts, deferrals don't count.
ALTER TABLE command ADD COLUMN unanswered_offers INT NOT NULL DEFAULT 0;
