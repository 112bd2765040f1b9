-- Big-screen links as issued, so that staff can list and revoke them. The
-- server signs a link's id; a link whose row is missing, revoked or
-- expired opens nothing. No secret is stored here: a link is only valid
-- with the server's signature.
CREATE TABLE screen_links (
	id           TEXT PRIMARY KEY,
	meeting_id   BIGINT NOT NULL REFERENCES meetings(id),
	expires_at   TIMESTAMP NOT NULL,
	show_results BOOLEAN NOT NULL DEFAULT FALSE,
	issued_by    TEXT NOT NULL,
	issued_at    TIMESTAMP NOT NULL,
	revoked_at   TIMESTAMP,
	revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX screen_links_meeting ON screen_links (meeting_id, issued_at);
