package ballots

import (
	"context"
	"strings"
	"time"
)

// AuditEntry is one organizer action in the append-only audit log: who did
// what to which object and when. It never holds a ballot's content or a
// slip code.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// AuditStore keeps the audit log. It has no way to change or remove an
// entry; the SQL adapter also refuses UPDATE and DELETE on the table.
type AuditStore interface {
	// AppendAudit adds an entry, stamping its id and, if zero, its time.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// AuditEntries returns up to limit entries with id below before (0: the
	// newest), newest first.
	AuditEntries(ctx context.Context, before int64, limit int) ([]AuditEntry, error)
	// AuditEntriesFor returns up to limit entries whose target is one of
	// targets, newest first.
	AuditEntriesFor(ctx context.Context, targets []string, limit int) ([]AuditEntry, error)
}

func (s *Service) auditStore() (AuditStore, error) {
	a, ok := s.ledger.(AuditStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持审计日志 (the ledger keeps no audit log)")
	}
	return a, nil
}

// Audit appends an organizer action to the log. Anything in actor, target
// or detail that reads as a slip code is replaced by "[票码已隐去]", so a
// careless caller cannot write one into the log.
func (s *Service) Audit(ctx context.Context, e AuditEntry) error {
	a, err := s.auditStore()
	if err != nil {
		return err
	}
	if e.Action == "" {
		return Errorf(EInvalid, "审计记录缺少 action (audit entry needs an action)")
	}
	e.Actor, e.Target, e.Detail = scrubCodes(e.Actor), scrubCodes(e.Target), scrubCodes(e.Detail)
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Second)
	return a.AppendAudit(ctx, e)
}

// MaxAuditPage is the most entries AuditLog returns at once.
const MaxAuditPage = 500

// AuditLog returns up to limit (1..MaxAuditPage, default 100) entries older
// than the entry id before (0: from the newest), newest first.
func (s *Service) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	a, err := s.auditStore()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	if before < 0 {
		return nil, Errorf(EInvalid, "before 须为正整数 (before must be a positive entry id)")
	}
	out, err := a.AuditEntries(ctx, before, limit)
	if out == nil && err == nil {
		out = []AuditEntry{}
	}
	return out, err
}

// AuditTrail returns up to limit (1..MaxAuditPage, default 100) entries
// whose target is one of targets, newest first: the history of one object
// (an indicator's entry, say) without paging through the whole log.
func (s *Service) AuditTrail(ctx context.Context, targets []string, limit int) ([]AuditEntry, error) {
	a, err := s.auditStore()
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	if len(targets) == 0 {
		return []AuditEntry{}, nil
	}
	out, err := a.AuditEntriesFor(ctx, targets, limit)
	if out == nil && err == nil {
		out = []AuditEntry{}
	}
	return out, err
}

// scrubCodes replaces every run of exactly TokenLen code characters that
// parses as a slip code.
func scrubCodes(s string) string {
	isCode := func(r byte) bool { return strings.IndexByte(alphabet, r&^0x20) >= 0 || (r >= '0' && r <= '9') }
	var sb strings.Builder
	start := -1
	flush := func(end int) {
		run := s[start:end]
		if len(run) == TokenLen {
			if _, err := ParseToken(run); err == nil {
				sb.WriteString("[票码已隐去]")
				return
			}
		}
		sb.WriteString(run)
	}
	for i := 0; i < len(s); i++ {
		if isCode(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			flush(i)
			start = -1
		}
		sb.WriteByte(s[i])
	}
	if start >= 0 {
		flush(len(s))
	}
	return sb.String()
}
