package bot

import (
	"regexp"
	"strings"
)

// colleagueRequests are the openings of a request to a channel for a
// colleague rather than for an answer: "who knows Kubernetes?", "does
// anyone know Terraform?", "who can help me with pricing?", "who's an
// expert on GDPR?", "anyone familiar with Rust?", "does anybody have
// experience with SAP?". What follows the opening is the topic.
var colleagueRequests = []string{
	`(?:does\s+|is\s+there\s+)?(?:any(?:one|body)|someone|somebody)\s+(?:here\s+)?who\s+knows`,
	`who\s+(?:else\s+|here\s+)?knows`,
	`(?:(?:does|do)\s+)?any(?:one|body)\s+(?:here\s+|else\s+)?knows?`,
	`does\s+(?:someone|somebody)\s+(?:here\s+)?know`,
	`who\s+can\s+help(?:\s+(?:me|us))?\s+(?:with|on)`,
	`can\s+(?:any(?:one|body)|someone|somebody)\s+(?:here\s+)?help(?:\s+(?:me|us))?\s+(?:with|on)`,
	`who(?:\s+is|'s|’s)\s+(?:an?\s+|the\s+)?experts?\s+(?:in|on|at)`,
	`who(?:\s+is|'s|’s)\s+(?:here\s+)?(?:familiar\s+with|good\s+(?:at|with))`,
	`(?:is\s+)?any(?:one|body)\s+(?:here\s+)?familiar\s+with`,
	`(?:who|(?:does\s+)?any(?:one|body))\s+(?:here\s+)?(?:has|have)\s+(?:any\s+)?experience\s+(?:with|in|of)`,
}

var whoKnows = regexp.MustCompile(`(?i)^\s*(?:` + strings.Join(colleagueRequests, "|") +
	`)(?:\s+(?:anything\s+)?(?:about|on))?\s+(.+?)[\s?.!]*$`)

// questionWords start a topic that is a question in its own right ("who
// knows how to reset the VPN?", "does anyone know if the office is
// open?"), which the knowledge base may answer better than a colleague's
// skills can be matched to it.
var questionWords = map[string]bool{
	"how": true, "what": true, "when": true, "where": true, "why": true,
	"which": true, "whether": true, "if": true, "who": true, "whom": true,
	"whose": true,
}

// whoKnowsTopic returns the topic of a request for a colleague who knows
// it, and false when text is not one.
func whoKnowsTopic(text string) (string, bool) {
	m := whoKnows.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	topic := strings.TrimSpace(m[1])
	first, _, _ := strings.Cut(strings.ToLower(topic), " ")
	if topic == "" || questionWords[first] {
		return "", false
	}
	return topic, true
}
