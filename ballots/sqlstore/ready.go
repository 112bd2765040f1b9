package sqlstore

import "context"

// Ping reports whether the database answers, through the readers' pool (on
// SQLite the single writer may be busy committing votes; a readiness probe
// must not queue behind it).
func (s *Store) Ping(ctx context.Context) error {
	db, err := s.r.DB()
	if err != nil {
		return err
	}
	return db.PingContext(ctx)
}
