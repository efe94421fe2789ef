package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// Environment of the engagement analytics.
const (
	// envXAPIBase is the IRI under which statement activity ids live.
	envXAPIBase = "LORE_XAPI_IRI_BASE"
	// envPseudonymKey is the secret that turns user ids into the
	// pseudonyms statements carry; without it no statements are made.
	envPseudonymKey = "LORE_PSEUDONYM_KEY"
	// envPrivacyK is the k of k-anonymity for breakdowns.
	envPrivacyK = "LORE_PRIVACY_K"
)

// mapper returns the statement mapper configured by the environment, or
// nil when no pseudonym key is set.
func (a *app) mapper() (*engagement.Mapper, error) {
	keyText := a.getenv(envPseudonymKey)
	if keyText == "" {
		return nil, nil
	}
	m, err := engagement.NewMapper(a.xapiBase(), []byte(keyText))
	if err != nil {
		// The key itself is never part of the message.
		return nil, usageErrorf("%s / %s: %v", envXAPIBase, envPseudonymKey, err)
	}
	return m, nil
}

// xapiBase is the configured IRI base, or engagement.DefaultIRIBase.
func (a *app) xapiBase() string {
	return valueOr(a.getenv(envXAPIBase), engagement.DefaultIRIBase)
}

// voider makes the voiding statements of a forget. It needs the IRI base
// only, not the pseudonym key, so that a person can be forgotten where
// statements are off, and their statements stored while a key was set
// are still voided once it is gone.
func (a *app) voider() (*engagement.StatementVoider, error) {
	v, err := engagement.NewVoider(a.xapiBase())
	if err != nil {
		return nil, usageErrorf("%s: %v", envXAPIBase, err)
	}
	return v, nil
}

// eventLog is what the bot, the peer capability and curation record
// engagement to: the store, with xAPI statements when a pseudonym key is
// configured. Opt-outs hold with or without a key: the store itself drops
// an opted-out person from every event it writes.
func (a *app) eventLog(st store.Store) (*engagement.Recorder, error) {
	m, err := a.mapper()
	if err != nil {
		return nil, err
	}
	return engagement.NewRecorder(st, m, a.log), nil
}

// privacyK reads the k-anonymity threshold; 0 lets the default apply.
func (a *app) privacyK() (int, error) {
	v := a.getenv(envPrivacyK)
	if v == "" {
		return 0, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil {
		return 0, usageErrorf("%s=%q is not a number", envPrivacyK, v)
	}
	if _, err := engagement.CheckK(k); err != nil {
		return 0, usageErrorf("%s: %v", envPrivacyK, err)
	}
	return k, nil
}

// parsePeriod reads a period such as 7d, 4w or 36h.
func parsePeriod(s string) (time.Duration, error) {
	if s == "" {
		return 0, usageErrorf("empty period: use for example 7d, 4w or 24h")
	}
	unit := s[len(s)-1]
	if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && (unit == 'd' || unit == 'w') {
		days := n
		if unit == 'w' {
			days = n * 7
		}
		if days <= 0 || days > 3660 {
			return 0, usageErrorf("period %q: want between 1 day and 10 years", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageErrorf("period %q: use for example 7d, 4w or 24h", s)
	}
	return d, nil
}

// parseDate reads a day (2006-01-02, midnight UTC) or an RFC 3339 time.
func parseDate(flag, s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("--%s %q: want a date (2006-01-02) or a time (2006-01-02T15:04:05Z)", flag, strings.ToValidUTF8(s, "?"))
}

// reportFilter is the report period ending at until (default: the start
// of today, UTC) and lasting period.
func reportFilter(until time.Time, period time.Duration) engagement.Filter {
	if until.IsZero() {
		until = store.Day(time.Now())
	}
	return engagement.Filter{Since: until.Add(-period), Until: until}
}

func quoteList(names []string) string {
	return fmt.Sprintf("%s", strings.Join(names, ", "))
}

// privacyCommands are the chat commands with which people see what Lore
// keeps about them, opt out of analytics and are forgotten.
func (a *app) privacyCommands(st store.Store) (*engagement.PrivacyCommands, error) {
	m, err := a.mapper()
	if err != nil {
		return nil, err
	}
	k, err := a.privacyK()
	if err != nil {
		return nil, err
	}
	v, err := a.voider()
	if err != nil {
		return nil, err
	}
	places, _ := st.(bot.Places)
	return &engagement.PrivacyCommands{Store: st, Mapper: m, Voider: v, K: k, Log: a.log, Audit: st, Places: places}, nil
}
