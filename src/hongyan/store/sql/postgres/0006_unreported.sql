-- Submitted messages whose receipt never came are found by their validity's end
-- (Store.expire_unreported); only those rows are indexed.
CREATE INDEX messages_unreported ON messages (expires_at) WHERE state = 'submitted';
