package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge/fetch"
)

// probeTimeout bounds lore probe, below the usual orchestrator timeout.
const probeTimeout = 4 * time.Second

func (a *app) probeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "probe URL",
		Short: "Exit 0 when URL answers 2xx (a health check for images without curl)",
		Long: `GET the URL and exit 0 on a 2xx status, 1 otherwise, printing the status.
Container images built from deploy/docker have no shell or curl; their health
checks run 'lore probe http://127.0.0.1:8080/readyz'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := checkProbeURL(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), probeTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
			if err != nil {
				return usageErrorf("probe: %v", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("probe: %s: %w", u.Redacted(), fetch.Explain(err))
			}
			resp.Body.Close()
			fmt.Fprintf(a.io.Out, "%s: %s\n", u.Redacted(), resp.Status)
			if resp.StatusCode/100 != 2 {
				return &exitError{code: ExitFailure}
			}
			return nil
		},
	}
}

// checkProbeURL parses the URL, refusing as a usage error one that no
// server could answer: empty (a script's unset variable), without http://
// or https://, or without a host.
func checkProbeURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, usageErrorf("probe: the URL is empty: name one, such as http://127.0.0.1:8080/readyz")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("probe: %q is not an http:// or https:// URL with a host, such as http://127.0.0.1:8080/readyz", raw)
	}
	return u, nil
}
