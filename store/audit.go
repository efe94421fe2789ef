package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Audit actions: a dotted verb, the object first. Callers may record
// others of the same shape.
const (
	AuditSourceAdd       = "source.add"
	AuditSourceRemove    = "source.remove"
	AuditSourceUpdate    = "source.update"
	AuditCollectionSet   = "collection.set"
	AuditRoleGrant       = "role.grant"
	AuditRoleRevoke      = "role.revoke"
	AuditDocumentApprove = "document.approve"
	AuditPersonForget    = "person.forget"
	// An analytics opt-in (`optin analytics`); an opt-out is a
	// person.forget whose detail says so, as `lore forget --opt-out`
	// records it.
	AuditPersonOptIn  = "person.optin"
	AuditSettingSet   = "setting.set"
	AuditTrackApprove = "track.approve"
	AuditRoundsSet    = "rounds.set"
	// A draft proposed with "suggest", or an answer kept with "Save to
	// knowledge", from chat.
	AuditDocumentSuggest = "document.suggest"
	AuditDocumentSave    = "document.save"
)

// AuditEntry records who changed what: a source, a collection, a role, a
// setting, an approval or a forget request.
type AuditEntry struct {
	ID   int64 // assigned by the store
	Time time.Time
	// Actor is who made the change: a chat person as
	// PLATFORM/[WORKSPACE/]USER ("slack/T024BE7LD/U012AB3CD"), the
	// operator at the command line ("cli:alice"), or a dashboard user
	// ("dashboard:ann@example.com").
	Actor string
	// Action is a dotted verb such as AuditSourceAdd.
	Action string
	// Target names what was changed: a source, a collection, a person.
	Target string
	// Detail says how, in a few words; it never names a person other
	// than Target.
	Detail string
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Actor string // exactly
	// Action matches the action and every action under it: "source"
	// matches source.add and source.remove, "source.add" only itself.
	Action string
	Since  time.Time // entries at or after
	Until  time.Time // entries before
	Limit  int       // 0: no limit
}

// Audit keeps the audit log.
type Audit interface {
	// RecordAudit appends an entry; a zero Time is the store's clock.
	RecordAudit(ctx context.Context, e AuditEntry) error
	// AuditLog returns the entries f selects, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Forgotten is the prefix of the pseudonym that replaces a forgotten
// person in the audit log (see Engagement.Forget).
const Forgotten = "forgotten-"

// Limits of audit fields, in bytes.
const (
	maxAuditActor  = 320 // "dashboard:" and the longest email address
	maxAuditAction = 64
	maxAuditTarget = 1000
	maxAuditDetail = 2000
)

var auditAction = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// ValidateAuditEntry refuses an entry without actor or action, with an
// action that is not a dotted verb, or with text over its limit, not
// UTF-8 or holding control characters. The error wraps ErrInvalidInput.
func ValidateAuditEntry(e AuditEntry) error {
	var errs []error
	if e.Actor == "" {
		errs = append(errs, Invalid("audit actor is empty"))
	}
	if !auditAction.MatchString(e.Action) || len(e.Action) > maxAuditAction {
		errs = append(errs, Invalid("audit action %q is not a dotted verb such as source.add", strings.ToValidUTF8(e.Action, "\uFFFD")))
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"audit actor", e.Actor, maxAuditActor}, {"audit target", e.Target, maxAuditTarget}, {"audit detail", e.Detail, maxAuditDetail}} {
		if err := checkField(f.name, f.v, f.max); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateAuditFilter refuses a negative limit or a bad actor or action.
func ValidateAuditFilter(f AuditFilter) error {
	var errs []error
	if f.Limit < 0 {
		errs = append(errs, Invalid("limit %d is negative", f.Limit))
	}
	if f.Action != "" && (!auditAction.MatchString(f.Action) || len(f.Action) > maxAuditAction) {
		errs = append(errs, Invalid("audit action %q is not a dotted verb such as source or source.add", strings.ToValidUTF8(f.Action, "\uFFFD")))
	}
	if err := checkField("audit actor", f.Actor, maxAuditActor); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkField refuses text over max bytes, not UTF-8 or holding control
// characters (which would break a terminal or a log line).
func checkField(name, v string, max int) error {
	switch {
	case len(v) > max:
		return Invalid("%s is over %d bytes", name, max)
	case !utf8.ValidString(v):
		return Invalid("%s is not valid UTF-8", name)
	case strings.ContainsFunc(v, unicode.IsControl):
		return Invalid("%s holds a control character", name)
	}
	return nil
}

// NewPseudonym returns a new random pseudonym for a forgotten person:
// Forgotten and 8 hex digits. It is random rather than derived from the
// person's id, so that nobody holding the log and a list of ids can
// recompute it; a person forgotten twice gets two.
func NewPseudonym() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return Forgotten + hex.EncodeToString(b[:])
}

// ForgetPersonIn returns text with every mention of the chat person user,
// written PLATFORM/USER or PLATFORM/WORKSPACE/USER (optionally after
// "user:"), replaced by pseudonym. Forget applies it to the details of the
// audit log ("owner slack/T1/U9 → slack/T1/U8"), which name people in
// free text. A bare id is left alone: in free text it cannot be told from
// a word.
func ForgetPersonIn(text, user, pseudonym string) string {
	if user == "" || !strings.Contains(text, "/"+user) {
		return text
	}
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, "/"+user)
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		end := i + 1 + len(user)
		start := personRefStart(rest[:i])
		if start >= 0 && (end == len(rest) || !isRefRune(rune(rest[end]))) {
			b.WriteString(rest[:start])
			b.WriteString(pseudonym)
		} else {
			b.WriteString(rest[:end])
		}
		rest = rest[end:]
	}
}

// personRefStart returns where the PLATFORM or PLATFORM/WORKSPACE (and
// any "user:" before it) that s ends in begins, or -1 when s does not end
// in one: a longer path (a/b/c) or a platform not in lower case is not a
// person.
func personRefStart(s string) int {
	back := func(end int) int {
		j := end
		for j > 0 && isRefRune(rune(s[j-1])) {
			j--
		}
		return j
	}
	start := back(len(s))
	if start == len(s) {
		return -1
	}
	if start > 0 && s[start-1] == '/' {
		ws := start
		if start = back(ws - 1); start == ws-1 {
			return -1
		}
	}
	if start > 0 && s[start-1] == '/' {
		return -1
	}
	platform, _, _ := strings.Cut(s[start:], "/")
	if platform[0] < 'a' || platform[0] > 'z' || strings.ToLower(platform) != platform {
		return -1
	}
	if strings.HasSuffix(s[:start], "user:") {
		start -= len("user:")
	}
	return start
}

// isRefRune reports whether r can be part of a PLATFORM/WORKSPACE/ID
// reference (audience.ParseRef's alphabet).
func isRefRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-#@", r)
}
