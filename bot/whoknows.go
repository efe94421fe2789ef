package bot

import (
	"regexp"
	"strings"
)

// whoKnows matches the ways people ask a channel for a colleague rather
// than for an answer: "who knows Kubernetes?", "who can help me with
// pricing?", "who's an expert on GDPR?", "anyone who knows Terraform?".
// The topic is the last group.
var whoKnows = regexp.MustCompile(`(?i)^\s*(?:(?:does\s+)?(?:any(?:one|body)|someone|somebody)\s+(?:here\s+)?who\s+knows|who\s+(?:else\s+|here\s+)?knows|who\s+can\s+help(?:\s+(?:me|us))?\s+(?:with|on)|who(?:\s+is|'s|’s)\s+(?:an?\s+|the\s+)?experts?\s+(?:in|on|at))(?:\s+(?:about|on))?\s+(.+?)[\s?.!]*$`)

// questionWords start a topic that is a question in its own right ("who
// knows how to reset the VPN?"), which the knowledge base may answer
// better than a colleague's skills can be matched to it.
var questionWords = map[string]bool{
	"how": true, "what": true, "when": true, "where": true, "why": true,
	"which": true, "whether": true, "if": true, "who": true,
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
