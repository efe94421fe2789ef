package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// DashboardConfig configures the engagement dashboard.
type DashboardConfig struct {
	// Source is where metrics come from: the store.
	Source engagement.Source
	// Options are passed to engagement.Compute (privacy k, teams, owner
	// suggestions).
	Options engagement.Options
	// AdminToken, when set, signs in as admin anyone who types it: a
	// shared secret for a first deployment.
	AdminToken string
	// SessionKey signs session cookies; at least 32 bytes, the same on
	// every replica. Required.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// OIDC, when set, offers sign-in through an OpenID Connect provider.
	OIDC *OIDCConfig
	// CacheTTL is how long a computed view is reused; default 1 minute.
	// A year of events takes seconds to aggregate, and leaders reload.
	// It also bounds how long a forgotten person's activity (a question
	// quoted in a content gap, say) can stay on a page after the forget:
	// the cache is per process, and a forget may run in another one
	// (lore forget, another replica), so it is not cleared on forget.
	CacheTTL time.Duration
	// TrustedProxies are the reverse proxies in front of the dashboard,
	// whose X-Forwarded-For names the client and whose X-Forwarded-Proto
	// says whether it came over HTTPS; empty trusts none: the client is
	// the connection's peer, and only a TLS connection to the dashboard
	// itself counts as HTTPS.
	TrustedProxies TrustedProxies
	// Settings are shown to admins.
	Settings map[string]string
	// Audit, when set, is the audit log admins read at /dashboard/audit.
	Audit  AuditLog
	Clock  func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// AuditLog is the audit log as the dashboard reads it; the store is one.
type AuditLog interface {
	AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
}

// Dashboard serves /dashboard: metrics, charts, the content-gap list and
// CSV downloads for leaders, curators and admins. It is plain HTML with
// inline SVG charts: no JavaScript, nothing fetched from elsewhere.
type Dashboard struct {
	cfg      DashboardConfig
	sessions sessions
	oidc     *oidcLogin
	log      *slog.Logger

	attempts *attemptLimiter
	// protoIgnored warns, once, of an X-Forwarded-Proto from a peer that
	// is not a trusted proxy.
	protoIgnored sync.Once

	mu    sync.Mutex
	cache map[string]cachedReport
}

type cachedReport struct {
	r  engagement.Report
	at time.Time
}

// NewDashboard returns the dashboard; with cfg.OIDC it fetches the
// provider's discovery document.
func NewDashboard(ctx context.Context, cfg DashboardConfig) (*Dashboard, error) {
	if cfg.Source == nil {
		return nil, errors.New("dashboard: Source is required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("dashboard: the session key must be at least 32 bytes")
	}
	if cfg.AdminToken == "" && cfg.OIDC == nil {
		return nil, errors.New("dashboard: configure an admin token or OpenID Connect, or nobody can sign in")
	}
	if cfg.AdminToken != "" && len(cfg.AdminToken) < 16 {
		return nil, errors.New("dashboard: the admin token must be at least 16 characters")
	}
	if _, err := engagement.CheckK(cfg.Options.K); err != nil {
		return nil, err
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Options.Clock == nil {
		// The period the dashboard parses and the one Compute checks
		// end on the same day.
		cfg.Options.Clock = cfg.Clock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Dashboard{cfg: cfg, sessions: sessions{key: cfg.SessionKey, ttl: cfg.SessionTTL, now: cfg.Clock}, log: cfg.Logger, cache: map[string]cachedReport{},
		attempts: newAttemptLimiter(cfg.Clock)}
	if cfg.OIDC != nil {
		o, err := newOIDC(ctx, *cfg.OIDC)
		if err != nil {
			return nil, err
		}
		d.oidc = o
	}
	return d, nil
}

// Register adds the dashboard's routes to mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	// Each route carries the security headers itself, so they hold on
	// whichever mux the dashboard shares (lore serve's, with /metrics).
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /dashboard":               d.page,
		"GET /dashboard/export.csv":    d.csv,
		"GET /dashboard/audit":         d.auditPage,
		"GET /dashboard/login":         d.loginForm,
		"POST /dashboard/login":        d.login,
		"POST /dashboard/logout":       d.logout,
		"GET /dashboard/oidc/login":    d.oidcStart,
		"GET /dashboard/oidc/callback": d.oidcCallback,
	} {
		mux.Handle(pattern, securityHeaders(h))
	}
}

// Handler returns a handler serving only the dashboard, with / sending to it.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	d.Register(mux)
	mux.Handle("GET /{$}", http.RedirectHandler("/dashboard", http.StatusFound))
	return securityHeaders(mux)
}

// securityHeaders forbid scripts and framing, which the pages do not need,
// and any cached copy: the pages and CSV downloads are private figures,
// which must not stay in a shared proxy or in the browser's cache (and
// its back button) after the leader signs out.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"value":        engagement.FormatValue,
	"gapsWithheld": engagement.WithheldGaps,
	"daysLeftOut":  engagement.DaysLeftOut,
	"change":       engagement.FormatChange,
	"pct":          func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"day":          func(t time.Time) string { return t.Format("2 Jan 2006") },
	// lastDay names the last day of a period that ends, exclusively, at t.
	"lastDay": func(t time.Time) string { return t.Add(-time.Nanosecond).Format("2 Jan 2006") },
	"trend": func(f engagement.Figure) string {
		switch {
		case f.Delta > 0:
			return "up"
		case f.Delta < 0:
			return "down"
		}
		return "flat"
	},
}).ParseFS(templateFiles, "templates/*.html"))

// view is the parsed period of a request. The dashboard has no platform or
// channel filter: two filtered views can be subtracted (everything minus
// the channels shown is the channels hidden in "Other"), so leaders see
// groups only in the breakdowns, where the threshold holds across groups.
type view struct {
	Period string
	Until  string
	filter engagement.Filter
}

var periods = map[string]time.Duration{"7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour, "365d": 365 * 24 * time.Hour}

// maxFilterLen bounds filter values.
const maxFilterLen = 200

// errNoGroupFilter refuses a view narrowed to a platform or channel.
var errNoGroupFilter = errors.New("the dashboard shows platforms and channels in its breakdowns, not as filters: a view of one channel, subtracted from the whole, would reveal the small channels merged into “Other”")

func (d *Dashboard) parseView(q url.Values) (view, error) {
	v := view{Period: q.Get("period"), Until: q.Get("until")}
	if q.Get("platform") != "" || q.Get("channel") != "" {
		return v, errNoGroupFilter
	}
	if v.Period == "" {
		v.Period = "7d"
	}
	length, ok := periods[v.Period]
	if !ok {
		return v, fmt.Errorf("period must be one of 7d, 30d, 90d or 365d")
	}
	if len(v.Until) > maxFilterLen || !utf8.ValidString(v.Until) || strings.ContainsRune(v.Until, 0) {
		return v, fmt.Errorf("a filter is too long or not valid text")
	}
	// Reports add up whole UTC days that are over: the default view ends
	// with yesterday, and today is shown once it is over.
	now := d.cfg.Clock()
	today := store.Day(now)
	until := today
	if v.Until != "" {
		t, err := time.Parse("2006-01-02", v.Until)
		if err != nil {
			return v, fmt.Errorf("until must be a date such as 2026-03-09")
		}
		if t.After(today) {
			return v, fmt.Errorf("until can be today, %s, at the latest: the figures cover days that are over (UTC), up to the day before until", today.Format("2006-01-02"))
		}
		until = t
	}
	v.filter = engagement.Filter{Since: until.Add(-length), Until: until}
	if err := engagement.CheckPeriod(v.filter, now); err != nil {
		return v, fmt.Errorf("until %s is too early: the period, and the one before it that figures are compared with, must start in 1970 or later", v.Until)
	}
	return v, nil
}

// report computes or reuses the report of a view.
func (d *Dashboard) report(ctx context.Context, v view) (engagement.Report, error) {
	key := fmt.Sprintf("%d|%d", v.filter.Since.Unix(), v.filter.Until.Unix())
	now := d.cfg.Clock()
	d.mu.Lock()
	c, ok := d.cache[key]
	d.mu.Unlock()
	if ok && now.Sub(c.at) < d.cfg.CacheTTL {
		return c.r, nil
	}
	r, err := engagement.Compute(ctx, d.cfg.Source, v.filter, d.cfg.Options)
	if err != nil {
		return r, err
	}
	d.mu.Lock()
	for k, old := range d.cache {
		if now.Sub(old.at) >= d.cfg.CacheTTL {
			delete(d.cache, k)
		}
	}
	d.cache[key] = cachedReport{r: r, at: now}
	d.mu.Unlock()
	return r, nil
}

// Warm computes the default view ahead of the first visitor, so that the
// first page loads as fast as the next.
func (d *Dashboard) Warm(ctx context.Context) error {
	v, err := d.parseView(url.Values{})
	if err != nil {
		return err
	}
	_, err = d.report(ctx, v)
	return err
}

type pageData struct {
	Session  Session
	View     view
	Report   engagement.Report
	Chart    template.HTML
	Periods  []string
	Settings map[string]string
	Curator  bool
	Admin    bool
	Tables   []string
}

func (d *Dashboard) page(w http.ResponseWriter, r *http.Request) {
	sess, ok := d.session(r)
	if !ok {
		http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
		return
	}
	v, err := d.parseView(r.URL.Query())
	if err != nil {
		d.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := d.report(r.Context(), v)
	if err != nil {
		d.failure(w, r, err)
		return
	}
	data := pageData{
		Session: sess, View: v, Report: rep, Chart: chartSVG(rep.Daily, rep.K),
		Periods: []string{"7d", "30d", "90d", "365d"}, Curator: sess.Role.Allows(RoleCurator), Admin: sess.Role.Allows(RoleAdmin),
		Tables: d.tablesFor(sess.Role),
	}
	if data.Admin {
		data.Settings = d.cfg.Settings
	}
	d.render(w, "dashboard.html", data)
}

// tablesFor lists the CSV tables a role may download: gaps and documents
// are content, for curators and admins.
func (d *Dashboard) tablesFor(role Role) []string {
	tables := []string{"figures", "daily", "breakdown"}
	if role.Allows(RoleCurator) {
		tables = append(tables, "documents", "gaps")
	}
	return tables
}

func (d *Dashboard) csv(w http.ResponseWriter, r *http.Request) {
	sess, ok := d.session(r)
	if !ok {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	table := r.URL.Query().Get("table")
	if !slices.Contains(d.tablesFor(sess.Role), table) {
		http.Error(w, "no such table for your role", http.StatusForbidden)
		return
	}
	v, err := d.parseView(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rep, err := d.report(r.Context(), v)
	if err != nil {
		d.failure(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := engagement.WriteCSV(&buf, table, rep); err != nil {
		d.failure(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lore-%s-%s.csv"`, table, rep.Until.Format("2006-01-02")))
	w.Write(buf.Bytes())
}

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, "login.html", map[string]any{"Token": d.cfg.AdminToken != "", "OIDC": d.oidc != nil, "Error": r.URL.Query().Get("failed") != ""})
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	// The attempt is counted before the token is looked at, so that a
	// guesser learns nothing from an attempt over the limit.
	addr := clientAddr(r, d.cfg.TrustedProxies)
	client := clientKey(addr, r.RemoteAddr)
	a, ok, retry, exhausted := d.attempts.take(client)
	if !ok {
		secs := max(int(math.Ceil(retry.Seconds())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		d.renderStatus(w, http.StatusTooManyRequests, "login.html", map[string]any{"Token": d.cfg.AdminToken != "", "OIDC": d.oidc != nil, "Wait": secs})
		return
	}
	if exhausted {
		d.log.WarnContext(r.Context(), "dashboard sign-in attempts limited", d.remote(addr, r)...)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	token := r.PostFormValue("token")
	// Keyed digests of the same length are compared, so that not even the
	// token's length shows in the time the comparison takes.
	if d.cfg.AdminToken == "" || !hmac.Equal([]byte(d.sessions.tokenPrint(token)), []byte(d.sessions.tokenPrint(d.cfg.AdminToken))) {
		d.log.WarnContext(r.Context(), "dashboard sign-in refused", d.remote(addr, r)...)
		http.Redirect(w, r, "/dashboard/login?failed=1", http.StatusSeeOther)
		return
	}
	d.attempts.give(a)
	d.sessions.issue(w, Session{Name: "admin", Role: RoleAdmin, Via: viaToken, Token: d.sessions.tokenPrint(d.cfg.AdminToken)}, d.secure(r))
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// secure reports whether cookies set in answer to r are marked Secure
// (overHTTPS). A proxy that ends TLS but is not trusted gets cookies that
// are not, so the first X-Forwarded-Proto: https ignored is logged.
func (d *Dashboard) secure(r *http.Request) bool {
	https, ignored := overHTTPS(r, d.cfg.TrustedProxies)
	if ignored {
		d.protoIgnored.Do(func() {
			d.log.WarnContext(r.Context(), "X-Forwarded-Proto ignored: the peer is not a trusted proxy, so cookies are not marked Secure; list the proxy in LORE_TRUSTED_PROXIES",
				"remote", r.RemoteAddr)
		})
	}
	return https
}

// remote is the log attributes naming the client that sent r: its
// address, and the proxy it came through when that is another.
func (d *Dashboard) remote(addr netip.Addr, r *http.Request) []any {
	if !addr.IsValid() {
		return []any{"remote", r.RemoteAddr}
	}
	attrs := []any{"remote", addr.String()}
	if peer, _ := parseHop(r.RemoteAddr); peer != addr {
		attrs = append(attrs, "proxy", r.RemoteAddr)
	}
	return attrs
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	clearSession(w)
	http.Redirect(w, r, "/dashboard/login", http.StatusSeeOther)
}

// session returns who is signed in to r, with the role the configuration
// gives them now: a session of an admin token that has changed since, or
// of an email address that lost its role, is over, and one whose role
// changed has the new role.
func (d *Dashboard) session(r *http.Request) (Session, bool) {
	sess, ok := d.sessions.read(r)
	if !ok {
		return Session{}, false
	}
	switch sess.Via {
	case viaToken:
		if d.cfg.AdminToken == "" || !hmac.Equal([]byte(sess.Token), []byte(d.sessions.tokenPrint(d.cfg.AdminToken))) {
			return Session{}, false
		}
		sess.Role = RoleAdmin
	case viaOIDC:
		if d.oidc == nil {
			return Session{}, false
		}
		sess.Role = d.oidc.roleOf(sess.Email, sess.Verified)
	default:
		// Signed before sessions said how: sign in again.
		return Session{}, false
	}
	return sess, sess.Role.rank() > 0
}

func (d *Dashboard) oidcStart(w http.ResponseWriter, r *http.Request) {
	if d.oidc == nil {
		http.NotFound(w, r)
		return
	}
	d.oidc.start(w, r, d.secure(r))
}

func (d *Dashboard) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if d.oidc == nil {
		http.NotFound(w, r)
		return
	}
	sess, err := d.oidc.finish(r)
	if err != nil {
		d.log.WarnContext(r.Context(), "OpenID Connect sign-in refused", "err", err)
		d.errorPage(w, http.StatusForbidden, err.Error())
		return
	}
	d.sessions.issue(w, sess, d.secure(r))
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (d *Dashboard) failure(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		d.log.WarnContext(r.Context(), "dashboard: database unavailable", "err", err)
		d.errorPage(w, http.StatusServiceUnavailable, "The database cannot be reached right now. Try again in a minute.")
		return
	}
	d.log.ErrorContext(r.Context(), "dashboard failed", "err", err)
	d.errorPage(w, http.StatusInternalServerError, "Something went wrong while computing the dashboard.")
}

func (d *Dashboard) errorPage(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	d.renderBody(w, "error.html", map[string]any{"Message": msg})
}

func (d *Dashboard) render(w http.ResponseWriter, name string, data any) {
	d.renderStatus(w, http.StatusOK, name, data)
}

func (d *Dashboard) renderStatus(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		d.log.Error("dashboard template", "template", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (d *Dashboard) renderBody(w http.ResponseWriter, name string, data any) {
	_ = templates.ExecuteTemplate(w, name, data)
}

// chartSVG draws active learners and questions per day as an inline SVG
// line chart, with a title per point for the exact figures. A day of
// fewer than k people is withheld: shaded, with the lines broken there,
// rather than drawn as a zero that never happened.
func chartSVG(days []engagement.DayPoint, k int) template.HTML {
	const w, h, pad, left = 720.0, 240.0, 32.0, 64.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="activity-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="Active learners and questions per day">`, w, h)
	if len(days) == 0 {
		b.WriteString(`<text x="20" y="40">No activity in this period.</text></svg>`)
		return template.HTML(b.String())
	}
	top := 0
	for _, d := range days {
		if !d.Withheld {
			top = max(top, d.Active, d.Questions)
		}
	}
	step := (w - left - pad) / float64(max(len(days)-1, 1))
	x := func(i int) float64 {
		if len(days) == 1 {
			return (left + w - pad) / 2
		}
		return left + float64(i)*step
	}
	y := func(v int) float64 { return h - pad - float64(v)*(h-2*pad)/float64(max(top, 1)) }
	for i, d := range days {
		if d.Withheld {
			x0 := math.Max(x(i)-step/2, left)
			x1 := math.Min(x(i)+step/2, w-pad)
			fmt.Fprintf(&b, `<rect class="withheld" x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="#e8e8e8"><title>%s: fewer than %d people, withheld</title></rect>`,
				x0, pad, math.Max(x1-x0, 2), h-2*pad, d.Day.Format("2 Jan"), k)
		}
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, left, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="end">0</text>`,
		left-6, pad+4, engagement.Thousands(int64(max(top, 1))), left-6, h-pad)
	fmt.Fprintf(&b, `<text x="12" y="%.0f" font-size="11" text-anchor="middle" transform="rotate(-90 12 %.0f)">people, questions</text>`, h/2, h/2)
	for _, s := range []struct {
		name, color string
		val         func(engagement.DayPoint) int
	}{
		{"active learners", "#1f77b4", func(d engagement.DayPoint) int { return d.Active }},
		{"questions", "#ff7f0e", func(d engagement.DayPoint) int { return d.Questions }},
	} {
		// One line for each run of days that are shown.
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.name, s.color, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i, d := range days {
			if d.Withheld {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(s.val(d))))
		}
		flush()
		for i, d := range days {
			if !d.Withheld {
				fmt.Fprintf(&b, `<circle data-series="%s" cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s: %d %s</title></circle>`,
					s.name, x(i), y(s.val(d)), s.color, d.Day.Format("2 Jan"), s.val(d), s.name)
			}
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11">%s</text>`, left, h-8, days[0].Day.Format("2 Jan"))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text>`, w-pad, h-8, days[len(days)-1].Day.Format("2 Jan"))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
