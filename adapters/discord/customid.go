package discord

import (
	"strings"
	"unicode/utf8"
)

// A button's custom_id is "lore:" + the bot action id + ":" + its value,
// at most maxCustomID characters, so that a press round-trips into the
// bot.Action that the core gave the button.
const (
	customIDPrefix = "lore:"
	maxCustomID    = 100
)

// encodeCustomID returns the custom_id for a button, or false when it would
// not fit Discord's limit or could not be decoded again.
func encodeCustomID(id, value string) (string, bool) {
	if id == "" || strings.Contains(id, ":") || !utf8.ValidString(id) || !utf8.ValidString(value) {
		return "", false
	}
	s := customIDPrefix + id + ":" + value
	if utf8.RuneCountInString(s) > maxCustomID {
		return "", false
	}
	return s, true
}

// decodeCustomID is the inverse of encodeCustomID.
func decodeCustomID(s string) (id, value string, ok bool) {
	if utf8.RuneCountInString(s) > maxCustomID || !utf8.ValidString(s) {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(s, customIDPrefix)
	if !ok {
		return "", "", false
	}
	id, value, ok = strings.Cut(rest, ":")
	if !ok || id == "" {
		return "", "", false
	}
	return id, value, true
}
