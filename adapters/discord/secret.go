package discord

import (
	"fmt"
	"log/slog"
)

// Secret is a credential such as the bot token. However it is printed,
// logged or marshalled it shows "[redacted]"; only the adapter reads the
// value, when it talks to Discord.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v of a Config from printing the token.
func (s Secret) GoString() string { return fmt.Sprintf("discord.Secret(%q)", s.String()) }

// Format covers every verb, %x and %q included.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue keeps slog from printing the token.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders (JSON, YAML) from writing the token.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// reveal returns the value itself, for the Authorization header only.
func (s Secret) reveal() string { return string(s) }
