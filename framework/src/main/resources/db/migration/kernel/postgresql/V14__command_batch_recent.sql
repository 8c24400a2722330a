-- Fan-outs are listed newest first.
CREATE INDEX ix_command_batch_created ON command_batch (created_at);
