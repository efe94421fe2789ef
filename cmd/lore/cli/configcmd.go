package cli

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lorehq/lore/bot/trace"
)

// defaultConfigFile is read when present in the working directory and
// neither --config nor LORE_CONFIG names another.
const defaultConfigFile = "lore.yaml"

// configPath resolves the configuration file: --config, LORE_CONFIG, or
// lore.yaml when it exists.
func (a *app) configPath(flag string) string {
	if flag != "" {
		return flag
	}
	if v := a.getenv("LORE_CONFIG"); v != "" {
		return v
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

// loadSettings reads the configuration for every command, before it runs.
func (a *app) loadSettings(flag string) error {
	c, err := loadConfig(a.configPath(flag), a.getenv)
	if err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("invalid configuration:\n%w", err)}
	}
	if err := c.secretFileErrors(); err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("invalid configuration:\n%w", err)}
	}
	a.config = c
	a.getenv = c.Getenv
	return nil
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or check Lore's configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print every setting, its value and where it came from; secrets are masked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			if a.config.path != "" {
				fmt.Fprintf(w, "# config file: %s\n", a.config.path)
			}
			fmt.Fprintln(w, "SETTING\tVALUE\tFROM")
			for _, s := range settings {
				v, src := a.config.lookup(s.Name)
				if s.Name == "LORE_DATABASE_URL" && a.dbURL != "" {
					v, src = a.dbURL, "--db" // what this command line would use
				}
				switch {
				case s.Secret && v != "":
					v = "******** (set)"
				case v == "":
					v = "(unset)"
				default:
					v = maskURLPassword(v)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", s.Name, v, src)
			}
			return w.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and environment, listing every problem at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Loading already validated each setting, before the command
			// ran; the model settings are also checked together, as every
			// command that opens the knowledge base does, and the chat
			// adapters' settings, as lore serve reads them.
			if _, err := a.readModelSettings(); err != nil {
				return err
			}
			if err := a.chatSettingsErrors(); err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("invalid configuration for lore serve:\n%w", err)}
			}
			fmt.Fprintln(a.io.Out, "The configuration is valid.")
			return nil
		},
	})
	return cmd
}

// maskURLPassword hides the password of a URL-valued setting (the database
// URL, an endpoint with credentials), in its user information or as a
// password parameter; other values are returned as they are. It works on
// the text as written, not on what url.Parse makes of it: a URL that does
// not parse (a password with a space, a slash or a bad escape in it) is
// the one config check quotes when it refuses it.
func maskURLPassword(v string) string {
	const mask = "********"
	i := strings.Index(v, "://")
	if i < 0 {
		return v
	}
	head, rest := v[:i+3], v[i+3:]
	// The user information ends at the last "@" of the authority; where
	// the URL does not parse, a "/", "?" or "#" may be the password's, so
	// at the last "@" of all. Where url.Parse found none, a "?" or "#"
	// before the path may still be the password's (lore:#pw@host parses
	// as host "lore:" and a fragment), as PostgreSQL reads it: the user
	// information then ends at the last "@" before the first "/".
	authority := rest
	if u, err := url.Parse(v); err == nil && u.Host != "" {
		ends := "/?#"
		if u.User == nil {
			ends = "/"
		}
		if end := strings.IndexAny(rest, ends); end >= 0 {
			authority = rest[:end]
		}
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if user, _, hasPassword := strings.Cut(authority[:at], ":"); hasPassword {
			head += user + ":" + mask
			rest = rest[at:]
		}
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if !hasQuery {
		return head + rest
	}
	query, fragment, hasFragment := strings.Cut(query, "#")
	params := strings.Split(query, "&")
	for j, p := range params {
		raw, _, _ := strings.Cut(p, "=")
		key, err := url.QueryUnescape(raw)
		if err != nil {
			key = raw
		}
		if strings.EqualFold(key, "password") {
			params[j] = raw + "=" + mask
		}
	}
	out := head + path + "?" + strings.Join(params, "&")
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

// serviceLogger is the logger of a long-running lore serve: the format
// and level configured, JSON when nobody watches a terminal.
func (a *app) serviceLogger() *slog.Logger {
	var level slog.Level
	switch a.getenv("LORE_LOG_LEVEL") {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	format := a.getenv("LORE_LOG_FORMAT")
	if format == "auto" || format == "" {
		format = "json"
		if f, ok := a.io.Err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(trace.Handler(slog.NewTextHandler(a.io.Err, opts)))
	}
	return slog.New(trace.Handler(slog.NewJSONHandler(a.io.Err, opts)))
}
