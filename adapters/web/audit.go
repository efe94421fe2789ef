package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/lorehq/lore/store"
)

// auditPageSize is how many entries the audit page shows; lore audit
// reads the rest.
const auditPageSize = 200

type auditData struct {
	Session Session
	Actor   string
	Action  string
	Entries []store.AuditEntry
	Kept    bool
	Full    bool
}

// auditPage shows the audit log, newest first, to admins only: it names
// who changed roles, sources and collections, and who asked to be
// forgotten (by pseudonym).
func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := d.session(r)
	if !ok {
		http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
		return
	}
	if !sess.Role.Allows(RoleAdmin) {
		d.errorPage(w, http.StatusForbidden, "Only admins can read the audit log.")
		return
	}
	q := r.URL.Query()
	data := auditData{Session: sess, Actor: q.Get("actor"), Action: strings.TrimSuffix(q.Get("action"), "."), Kept: d.cfg.Audit != nil}
	if d.cfg.Audit != nil {
		f := store.AuditFilter{Actor: data.Actor, Action: data.Action, Limit: auditPageSize}
		if err := store.ValidateAuditFilter(f); err != nil {
			d.errorPage(w, http.StatusBadRequest, "The filter is not valid: the action is a dotted verb such as source or role.grant, and both fields are short text.")
			return
		}
		entries, err := d.cfg.Audit.AuditLog(r.Context(), f)
		if errors.Is(err, store.ErrInvalidInput) {
			d.errorPage(w, http.StatusBadRequest, "The filter is not valid.")
			return
		}
		if err != nil {
			d.failure(w, r, err)
			return
		}
		data.Entries, data.Full = entries, len(entries) == auditPageSize
	}
	d.render(w, "audit.html", data)
}
