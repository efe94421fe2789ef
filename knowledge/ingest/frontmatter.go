package ingest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// frontMatter holds the keys ingest reads from Markdown front matter.
// Other keys are allowed and ignored, so files can carry metadata for
// site generators and other programs.
type frontMatter struct {
	title    string
	tags     []string
	owner    string
	reviewBy string
}

// splitFrontMatter cuts YAML front matter, the lines between a first line
// of "---" and the next line of "---" or "...", from the Markdown body.
// ok is false when the document has none.
func splitFrontMatter(name, src string) (yamlText, body string, ok bool, err error) {
	first, rest, found := strings.Cut(src, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return "", src, false, nil
	}
	if !found {
		return "", "", false, fmt.Errorf("%s: line 1: front matter is not closed by a --- line", name)
	}
	offset := 0
	for offset <= len(rest) {
		line, _, more := strings.Cut(rest[offset:], "\n")
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			body = ""
			if more {
				body = rest[offset+len(line)+1:]
			}
			return rest[:offset], body, true, nil
		}
		if !more {
			break
		}
		offset += len(line) + 1
	}
	return "", "", false, fmt.Errorf("%s: line 1: front matter is not closed by a --- line", name)
}

// yamlLine finds the line number in a YAML syntax error, which the YAML
// package reports only inside its message ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFrontMatter decodes the YAML between the --- lines. Errors name
// the file and the line in the file (the YAML starts on line 2).
func parseFrontMatter(name, text string) (frontMatter, error) {
	var fm frontMatter
	// fail reports a problem at a line of the YAML text.
	fail := func(yamlLineNo int, format string, args ...any) error {
		return fmt.Errorf("%s: line %d: front matter: %s", name, yamlLineNo+1, fmt.Sprintf(format, args...))
	}

	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			// The YAML package sometimes counts a line past the
			// end (an unclosed quote "ends" after the last line);
			// keep the number inside the front matter.
			n, _ := strconv.Atoi(m[1])
			n = max(1, min(n, strings.Count(text, "\n")))
			return fm, fail(n, "%s", m[2])
		}
		return fm, fail(1, "%s", strings.TrimPrefix(msg, "yaml: "))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return fm, nil // empty front matter
	}
	m := root.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		return fm, nil
	}
	if m.Kind != yaml.MappingNode {
		return fm, fail(m.Line, "want key: value pairs")
	}
	seen := make(map[string]bool)
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], resolveAlias(m.Content[i+1])
		if seen[key.Value] {
			return fm, fail(key.Line, "key %q is repeated", key.Value)
		}
		seen[key.Value] = true
		var err error
		switch key.Value {
		case "title":
			fm.title, err = scalar(val)
		case "owner":
			fm.owner, err = scalar(val)
		case "review_by":
			fm.reviewBy, err = scalar(val)
		case "tags":
			fm.tags, err = tagList(val)
		}
		if err != nil {
			return fm, fail(val.Line, "%s: %v", key.Value, err)
		}
	}
	return fm, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// scalar returns a value as written, so a date such as 2025-06-30 stays a
// string rather than being reinterpreted; null is empty.
func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value")
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return strings.TrimSpace(n.Value), nil
}

// tagList accepts tags as a YAML list or as one comma-separated string.
// Blank and repeated tags are dropped.
func tagList(n *yaml.Node) ([]string, error) {
	var raw []string
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!null" {
			raw = strings.Split(n.Value, ",")
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("want a list of words")
			}
			if item.Tag == "!!null" {
				continue
			}
			raw = append(raw, item.Value)
		}
	default:
		return nil, fmt.Errorf("want a list or a comma-separated string")
	}
	var tags []string
	seen := make(map[string]bool)
	for _, t := range raw {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	return tags, nil
}
