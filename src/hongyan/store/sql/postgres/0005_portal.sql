-- Back office (partner portal, operator console): figures since a time, inbound lists.

-- Totals and charts count the messages created since a time, per account or for all.
CREATE INDEX messages_account_created ON messages (account_id, created_at);
CREATE INDEX messages_created ON messages (created_at);

-- An account's inbound messages newest first, read or not.
CREATE INDEX inbound_account ON inbound (account_id, id);
