package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot/engagement"
)

// Environment of the dashboard. Secrets come from the environment, not
// flags, so that they do not show in process listings.
const (
	envDashboardToken = "LORE_DASHBOARD_TOKEN" // shared admin token
	envSessionKey     = "LORE_SESSION_KEY"     // signs session cookies; same on every replica
	envOIDCIssuer     = "LORE_OIDC_ISSUER"
	envOIDCClientID   = "LORE_OIDC_CLIENT_ID"
	envOIDCSecret     = "LORE_OIDC_CLIENT_SECRET"
	envOIDCRedirect   = "LORE_OIDC_REDIRECT_URL"
	envOIDCRoles      = "LORE_OIDC_ROLES" // email=role,email=role
	envOIDCDefault    = "LORE_OIDC_DEFAULT_ROLE"
	envTrustedProxies = "LORE_TRUSTED_PROXIES" // whose X-Forwarded-For and X-Forwarded-Proto are believed
)

// dashboard builds the engagement dashboard from the environment, over the
// services' store; `lore serve` registers it on its mux beside the probes.
func (a *app) dashboard(ctx context.Context, svc *services) (*web.Dashboard, error) {
	k, err := a.privacyK()
	if err != nil {
		return nil, err
	}
	effectiveK, _ := engagement.CheckK(k)
	key := []byte(a.getenv(envSessionKey))
	if len(key) == 0 {
		// Sessions then last as long as this process; replicas need a
		// shared key.
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	// Checked with the rest of the configuration before any command runs.
	proxies, err := web.ParseTrustedProxies(a.getenv(envTrustedProxies))
	if err != nil {
		return nil, usageErrorf("%s: %v", envTrustedProxies, err)
	}
	cfg := web.DashboardConfig{
		Source:         svc.store,
		Options:        engagement.Options{K: k, SuggestOwner: ownerSuggester(svc)},
		AdminToken:     a.getenv(envDashboardToken),
		SessionKey:     key,
		Audit:          svc.store,
		Logger:         a.log,
		TrustedProxies: proxies,
		Settings: map[string]string{
			"privacy threshold (k)": fmt.Sprint(effectiveK),
			"xAPI IRI base":         a.xapiBase(),
			"statements recorded":   fmt.Sprint(a.getenv(envPseudonymKey) != ""),
			"OpenID Connect issuer": valueOr(a.getenv(envOIDCIssuer), "(off)"),
			"trusted proxies":       valueOr(proxies.String(), "(none)"),
		},
	}
	if issuer := a.getenv(envOIDCIssuer); issuer != "" {
		roles, err := parseRoles(a.getenv(envOIDCRoles))
		if err != nil {
			return nil, err
		}
		cfg.OIDC = &web.OIDCConfig{
			Issuer: issuer, ClientID: a.getenv(envOIDCClientID), ClientSecret: a.getenv(envOIDCSecret),
			RedirectURL: a.getenv(envOIDCRedirect), Roles: roles, DefaultRole: web.Role(a.getenv(envOIDCDefault)),
		}
	}
	if cfg.AdminToken == "" && cfg.OIDC == nil {
		return nil, usageErrorf("set %s (a shared admin token of at least 16 characters) or %s and its companions to sign in to the dashboard", envDashboardToken, envOIDCIssuer)
	}
	d, err := web.NewDashboard(ctx, cfg)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return d, nil
}

func valueOr(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// parseRoles reads email=role pairs separated by commas.
func parseRoles(s string) (map[string]web.Role, error) {
	roles := map[string]web.Role{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		email, role, ok := strings.Cut(pair, "=")
		r := web.Role(strings.TrimSpace(role))
		if !ok || !r.Allows(web.RoleLeader) {
			return nil, usageErrorf("%s: %q: want email=leader, email=curator or email=admin", envOIDCRoles, pair)
		}
		roles[strings.ToLower(strings.TrimSpace(email))] = r
	}
	return roles, nil
}

func (a *app) dashboardCommand() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the engagement dashboard for leaders and curators",
		Long: `Serve the engagement dashboard alone ('lore serve' serves it too): metrics
with their change from the previous period, charts, content gaps and CSV
downloads, at http://LISTEN/dashboard.

Sign-in: $LORE_DASHBOARD_TOKEN is a shared admin token; OpenID Connect is
configured with $LORE_OIDC_ISSUER, $LORE_OIDC_CLIENT_ID,
$LORE_OIDC_CLIENT_SECRET, $LORE_OIDC_REDIRECT_URL and $LORE_OIDC_ROLES
(email=leader|curator|admin, comma-separated). $LORE_SESSION_KEY signs
session cookies (random per process when unset). Behind a reverse proxy,
$LORE_TRUSTED_PROXIES (addresses and CIDR prefixes) lets sign-in limits
and logs see each client by the proxy's X-Forwarded-For.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListenFlag(listen); err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer svc.Close()
			d, err := a.dashboard(ctx, svc)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("listen on %s: %w", listen, err)}
			}
			srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			fmt.Fprintf(a.io.Err, "lore: dashboard on http://%s/dashboard\n", ln.Addr())
			go func() {
				if err := d.Warm(ctx); err != nil {
					a.log.WarnContext(ctx, "computing the dashboard's default view failed", "err", err)
				}
			}()
			select {
			case <-ctx.Done():
			case err = <-served:
			}
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http server: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "address to serve the dashboard on")
	return cmd
}
