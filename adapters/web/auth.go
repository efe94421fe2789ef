package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Role decides what a signed-in person sees on the dashboard.
type Role string

// Roles, from least to most access. Leaders see aggregates; curators see
// content gaps and document use as well; admins see everything, settings
// included.
const (
	RoleLeader  Role = "leader"
	RoleCurator Role = "curator"
	RoleAdmin   Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleLeader:
		return 1
	case RoleCurator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether r has at least the access of want.
func (r Role) Allows(want Role) bool { return r.rank() >= want.rank() && r.rank() > 0 }

// Session is who is signed in.
type Session struct {
	Name    string    `json:"n"`
	Role    Role      `json:"r"`
	Expires time.Time `json:"e"`
	// Via is how they signed in, which the role is read from again at
	// every request, so that a role taken away or an admin token changed
	// ends the sessions it gave: with the admin token (Token is its
	// fingerprint) or OpenID Connect (Email, and whether the provider
	// verified it).
	Via      string `json:"v"`
	Token    string `json:"t,omitempty"`
	Email    string `json:"m,omitempty"`
	Verified bool   `json:"ev,omitempty"`
}

// Ways of signing in (Session.Via).
const (
	viaToken = "token"
	viaOIDC  = "oidc"
)

const sessionCookie = "lore_session"

// sessions signs and checks session cookies with an HMAC key, so that no
// server-side session table is needed and every replica accepts them.
type sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// issue sets the session cookie, marked Secure when the browser reached
// the dashboard over HTTPS (overHTTPS).
func (s sessions) issue(w http.ResponseWriter, sess Session, secure bool) {
	sess.Expires = s.now().Add(s.ttl)
	body, _ := json.Marshal(sess)
	payload := base64.RawURLEncoding.EncodeToString(body)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: payload + "." + s.sign(payload), Path: "/",
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.ttl.Seconds()),
	})
}

// tokenPrint identifies an admin token in a session without revealing it.
func (s sessions) tokenPrint(token string) string {
	return s.sign("admin token\x00" + token)
}

func (s sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// read returns the session of r, if it carries a valid, unexpired one.
func (s sessions) read(r *http.Request) (Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return Session{}, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return Session{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Session{}, false
	}
	var sess Session
	if json.Unmarshal(body, &sess) != nil || !s.now().Before(sess.Expires) || sess.Role.rank() == 0 {
		return Session{}, false
	}
	return sess, true
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
}

// OIDCConfig signs people in through an OpenID Connect provider (Google,
// Okta, Entra ID, Keycloak, or Slack's "Sign in with Slack", which speaks
// OpenID Connect at https://slack.com).
type OIDCConfig struct {
	Issuer       string // the provider's issuer URL; its discovery document is fetched
	ClientID     string
	ClientSecret string
	// RedirectURL is this dashboard's callback: https://HOST/dashboard/oidc/callback.
	RedirectURL string
	// Roles maps a verified email address to a role; people not listed
	// are refused. DefaultRole, when set, is given to anyone else whose
	// email the provider verified.
	Roles       map[string]Role
	DefaultRole Role
}

type oidcLogin struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDC(ctx context.Context, cfg OIDCConfig) (*oidcLogin, error) {
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect provider %s: %w", cfg.Issuer, err)
	}
	return &oidcLogin{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

const stateCookie = "lore_oidc_state"

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start redirects to the provider, with a state (against forged
// callbacks) and a nonce (against replayed tokens) kept in a cookie,
// marked Secure when the browser reached the dashboard over HTTPS.
func (o *oidcLogin) start(w http.ResponseWriter, r *http.Request, secure bool) {
	state, nonce := randomToken(), randomToken()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state + "." + nonce, Path: "/dashboard/oidc",
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce)), http.StatusFound)
}

var errSignIn = errors.New("sign-in failed")

// roleOf is the role of a signed-in email address: by LORE_OIDC_ROLES
// when the provider verified the address, otherwise the default role.
func (o *oidcLogin) roleOf(email string, verified bool) Role {
	// A role by email needs the provider to vouch for the address: some
	// providers omit email_verified and let people set their own address,
	// which would otherwise claim an admin's role.
	if role, mapped := o.cfg.Roles[strings.ToLower(email)]; mapped && verified {
		return role
	}
	return o.cfg.DefaultRole
}

// finish checks the callback and returns who signed in, with their role.
func (o *oidcLogin) finish(r *http.Request) (Session, error) {
	c, err := r.Cookie(stateCookie)
	if err != nil {
		return Session{}, fmt.Errorf("%w: the sign-in took too long or cookies are off; start again", errSignIn)
	}
	state, nonce, _ := strings.Cut(c.Value, ".")
	if subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		return Session{}, fmt.Errorf("%w: state does not match", errSignIn)
	}
	if e := r.URL.Query().Get("error"); e != "" {
		return Session{}, fmt.Errorf("%w: the provider said %q", errSignIn, e)
	}
	tok, err := o.oauth.Exchange(r.Context(), r.URL.Query().Get("code"))
	if err != nil {
		return Session{}, fmt.Errorf("%w: code exchange: %w", errSignIn, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return Session{}, fmt.Errorf("%w: the provider sent no ID token", errSignIn)
	}
	idt, err := o.verifier.Verify(r.Context(), raw)
	if err != nil {
		return Session{}, fmt.Errorf("%w: ID token: %w", errSignIn, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return Session{}, fmt.Errorf("%w: nonce does not match", errSignIn)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Session{}, fmt.Errorf("%w: claims: %w", errSignIn, err)
	}
	if claims.Email == "" || (claims.EmailVerified != nil && !*claims.EmailVerified) {
		return Session{}, fmt.Errorf("%w: the provider did not vouch for an email address", errSignIn)
	}
	verified := claims.EmailVerified != nil && *claims.EmailVerified
	role := o.roleOf(claims.Email, verified)
	if role.rank() == 0 {
		_, mapped := o.cfg.Roles[strings.ToLower(claims.Email)]
		if mapped {
			return Session{}, fmt.Errorf("%w: the provider did not say that %s is verified (email_verified), which a role by email needs", errSignIn, claims.Email)
		}
		return Session{}, fmt.Errorf("%w: %s has no role on this dashboard; ask an admin", errSignIn, claims.Email)
	}
	name := claims.Name
	if name == "" {
		name = claims.Email
	}
	return Session{Name: name, Role: role, Via: viaOIDC, Email: claims.Email, Verified: verified}, nil
}

// overHTTPS reports whether the browser reached the dashboard over HTTPS:
// directly, or through a trusted proxy that ended TLS and says so in
// X-Forwarded-Proto. Like X-Forwarded-For (clientAddr), the header is
// believed only from a trusted proxy: from any other peer it is whatever
// the sender chose to write. The second result tells that such a peer
// claimed HTTPS, which is ignored.
func overHTTPS(r *http.Request, trusted TrustedProxies) (https, ignored bool) {
	if r.TLS != nil {
		return true, false
	}
	claimed := strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
	if peer, ok := parseHop(r.RemoteAddr); ok && trusted.contains(peer) {
		return claimed, false
	}
	return false, claimed
}
