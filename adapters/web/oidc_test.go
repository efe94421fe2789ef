package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/lorehq/lore/adapters/web"
)

// provider is a minimal OpenID Connect provider: discovery, keys, and a
// token endpoint that issues an ID token for whoever the test says.
type provider struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu    sync.Mutex
	email string
	nonce string
	// verified is the email_verified claim; nil leaves it out.
	verified any
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key, verified: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/auth", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("code") != "good-code" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		claims := map[string]any{
			"iss": p.srv.URL, "aud": "lore-dashboard", "sub": "person-1", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
			"nonce": p.nonce, "email": p.email, "name": "Lea Leader",
		}
		if p.verified != nil {
			claims["email_verified"] = p.verified
		}
		tok, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": tok})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) will(email, nonce string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.email, p.nonce = email, nonce
}

func oidcDashboard(t *testing.T, p *provider) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	d := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.AdminToken = ""
		c.OIDC = &web.OIDCConfig{
			Issuer: p.srv.URL, ClientID: "lore-dashboard", ClientSecret: "client-secret", RedirectURL: srv.URL + "/dashboard/oidc/callback",
			Roles: map[string]web.Role{"lea@example.com": web.RoleLeader, "cu@example.com": web.RoleCurator},
		}
	})
	srv.Config.Handler = d.Handler()
	return srv
}

// startSignIn follows the dashboard to the provider and returns the state
// and nonce it asked for.
func startSignIn(t *testing.T, c *http.Client, base string) (state, nonce string) {
	t.Helper()
	code, _, h := get(t, c, base+"/dashboard/oidc/login")
	if code != http.StatusFound {
		t.Fatalf("oidc login = %d", code)
	}
	u, err := url.Parse(h.Get("Location"))
	if err != nil || !strings.HasSuffix(u.Path, "/auth") || u.Query().Get("client_id") != "lore-dashboard" {
		t.Fatalf("redirect to %q", h.Get("Location"))
	}
	return u.Query().Get("state"), u.Query().Get("nonce")
}

func TestOIDCSignInGivesRoles(t *testing.T) {
	p := newProvider(t)
	srv := oidcDashboard(t, p)
	c := client(t)
	state, nonce := startSignIn(t, c, srv.URL)
	p.will("lea@example.com", nonce)
	code, body, h := get(t, c, srv.URL+"/dashboard/oidc/callback?state="+url.QueryEscape(state)+"&code=good-code")
	if code != http.StatusSeeOther || h.Get("Location") != "/dashboard" {
		t.Fatalf("callback = %d %q\n%s", code, h.Get("Location"), body)
	}
	code, page, _ := get(t, c, srv.URL+"/dashboard")
	if code != http.StatusOK || !strings.Contains(page, "Lea Leader (leader)") {
		t.Fatalf("dashboard as leader = %d\n%s", code, page)
	}
	// Leaders see aggregates, not content gaps, documents or settings.
	for _, hidden := range []string{`id="gaps"`, `id="most-used"`, `id="settings"`, "gym"} {
		if strings.Contains(page, hidden) {
			t.Errorf("leader page shows %q", hidden)
		}
	}
	if !strings.Contains(page, `data-metric="questions"`) {
		t.Error("leader page lacks the figures")
	}
	if code, _, _ := get(t, c, srv.URL+"/dashboard/export.csv?table=gaps"); code != http.StatusForbidden {
		t.Errorf("leader downloading gaps: %d, want 403", code)
	}
	if code, page, _ := get(t, c, srv.URL+"/dashboard/audit"); code != http.StatusForbidden || !strings.Contains(page, "Only admins") || strings.Contains(page, `id="audit"`) {
		t.Errorf("leader reading the audit log: %d, want 403", code)
	}
	if strings.Contains(page, `id="audit-link"`) {
		t.Error("the leader's dashboard links to the audit log")
	}
	if code, _, _ := get(t, c, srv.URL+"/dashboard/export.csv?table=figures"); code != http.StatusOK {
		t.Errorf("leader downloading figures: %d", code)
	}
	// The admin-token form is off without a token.
	if code, _, h := get(t, c, srv.URL+"/dashboard/login"); code != http.StatusOK || h == nil {
		t.Fatal(code)
	}
	resp := signIn(t, client(t), srv.URL, "")
	if resp.Header.Get("Location") != "/dashboard/login?failed=1" {
		t.Error("an empty token signed in when no token is configured")
	}
}

func TestOIDCRefusals(t *testing.T) {
	p := newProvider(t)
	srv := oidcDashboard(t, p)
	cases := []struct {
		name         string
		email, query string
		nonce        string
		want         string
	}{
		{"forged state", "lea@example.com", "state=forged&code=good-code", "", "state does not match"},
		{"unknown person", "eve@example.com", "code=good-code", "", "has no role"},
		{"replayed token", "lea@example.com", "code=good-code", "other-nonce", "nonce does not match"},
		{"bad code", "lea@example.com", "code=bad", "", "code exchange"},
		{"provider error", "lea@example.com", "error=access_denied", "", "access_denied"},
		// A provider that does not vouch for the address gives no role by
		// it: anyone could otherwise set a leader's address as their own.
		{"unverified email", "lea@example.com", "code=good-code", "", "email_verified"},
		{"email said to be unverified", "lea@example.com", "code=good-code", "", "did not vouch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := client(t)
			state, nonce := startSignIn(t, cl, srv.URL)
			if c.nonce != "" {
				nonce = c.nonce
			}
			p.mu.Lock()
			switch c.name {
			case "unverified email":
				p.verified = nil
			case "email said to be unverified":
				p.verified = false
			default:
				p.verified = true
			}
			p.mu.Unlock()
			p.will(c.email, nonce)
			q := c.query
			if !strings.Contains(q, "state=") {
				q += "&state=" + url.QueryEscape(state)
			}
			code, body, _ := get(t, cl, srv.URL+"/dashboard/oidc/callback?"+q)
			if code != http.StatusForbidden || !strings.Contains(body, c.want) {
				t.Errorf("callback = %d, want 403 saying %q\n%s", code, c.want, body)
			}
			if code, _, _ := get(t, cl, srv.URL+"/dashboard"); code != http.StatusSeeOther {
				t.Error("signed in anyway")
			}
		})
	}
}

// A signed-in person has the role the configuration gives them now: one
// taken out of LORE_OIDC_ROLES is signed out at their next request, one
// moved to another role has that role, without waiting for the session to
// run out.
func TestOIDCSessionFollowsTheRoles(t *testing.T) {
	p := newProvider(t)
	srv := oidcDashboard(t, p)
	c := client(t)
	state, nonce := startSignIn(t, c, srv.URL)
	p.will("cu@example.com", nonce)
	if code, body, _ := get(t, c, srv.URL+"/dashboard/oidc/callback?state="+url.QueryEscape(state)+"&code=good-code"); code != http.StatusSeeOther {
		t.Fatalf("callback = %d\n%s", code, body)
	}
	u, _ := url.Parse(srv.URL)
	cookie := c.Jar.Cookies(u)[0]
	as := func(roles map[string]web.Role, path string) (int, string) {
		t.Helper()
		d := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
			c.AdminToken = ""
			c.OIDC = &web.OIDCConfig{Issuer: p.srv.URL, ClientID: "lore-dashboard", ClientSecret: "client-secret",
				RedirectURL: srv.URL + "/dashboard/oidc/callback", Roles: roles}
		})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		d.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, _ := as(map[string]web.Role{"cu@example.com": web.RoleCurator}, "/dashboard/export.csv?table=gaps"); code != http.StatusOK {
		t.Fatalf("curator downloading gaps: %d", code)
	}
	if code, page := as(map[string]web.Role{"cu@example.com": web.RoleLeader}, "/dashboard"); code != http.StatusOK || !strings.Contains(page, "(leader)") || strings.Contains(page, `id="gaps"`) {
		t.Errorf("made a leader: %d, want the leader's page\n%s", code, page)
	}
	if code, _ := as(map[string]web.Role{"cu@example.com": web.RoleLeader}, "/dashboard/export.csv?table=gaps"); code != http.StatusForbidden {
		t.Errorf("made a leader, downloading gaps: %d, want 403", code)
	}
	if code, _ := as(map[string]web.Role{"lea@example.com": web.RoleLeader}, "/dashboard"); code != http.StatusSeeOther {
		t.Errorf("taken out of the roles: %d, want a redirect to sign in", code)
	}
}

// The state cookie follows the session cookie's rule: Secure behind a
// trusted proxy that says https, not when any other peer says it.
func TestOIDCStateCookieSecureOnlyFromATrustedProxy(t *testing.T) {
	p := newProvider(t)
	trusted, err := web.ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	h := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.AdminToken = ""
		c.TrustedProxies = trusted
		c.OIDC = &web.OIDCConfig{Issuer: p.srv.URL, ClientID: "lore-dashboard", ClientSecret: "client-secret",
			RedirectURL: "https://lore.example.com/dashboard/oidc/callback", DefaultRole: web.RoleLeader}
	}).Handler()
	for remote, secure := range map[string]bool{"10.1.2.3:4567": true, "192.0.2.1:1234": false} {
		req := httptest.NewRequest(http.MethodGet, "/dashboard/oidc/login", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusFound || len(cookies) == 0 {
			t.Fatalf("from %s: %d, %d cookies", remote, rec.Code, len(cookies))
		}
		if cookies[0].Secure != secure {
			t.Errorf("from %s: state cookie Secure %v, want %v", remote, cookies[0].Secure, secure)
		}
	}
}
