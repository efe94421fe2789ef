package codeblock

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []Segment
	}{
		{"prose only", "Use `x` and ``y``.", []Segment{{Text: "Use `x` and ``y``.", Raw: "Use `x` and ``y``."}}},
		{
			name: "a block between prose",
			md:   "Run:\n```sh\nmake *all* [x](y)\n```\n[1]",
			want: []Segment{
				{Text: "Run:\n", Raw: "Run:\n"},
				{Text: "make *all* [x](y)", Code: true, Lang: "sh", Raw: "```sh\nmake *all* [x](y)\n```"},
				{Text: "\n[1]", Raw: "\n[1]"},
			},
		},
		{
			name: "an indented block, and a longer fence outlasting a shorter one",
			md:   "- Do:\n  ````\n  ```\n  x\n  ````",
			want: []Segment{
				{Text: "- Do:\n", Raw: "- Do:\n"},
				{Text: "```\nx", Code: true, Raw: "  ````\n  ```\n  x\n  ````"},
			},
		},
		{
			name: "a block still open runs to the end",
			md:   "So:\n```\necho @here",
			want: []Segment{{Text: "So:\n", Raw: "So:\n"}, {Text: "echo @here", Code: true, Raw: "```\necho @here"}},
		},
		{"backticks in the info string open nothing", "```a`b\nc", []Segment{{Text: "```a`b\nc", Raw: "```a`b\nc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.md)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q) =\n%+v\nwant\n%+v", tt.md, got, tt.want)
			}
			var raw strings.Builder
			for _, s := range got {
				raw.WriteString(s.Raw)
			}
			if raw.String() != tt.md {
				t.Errorf("the segments' Raw joined is %q, want %q", raw.String(), tt.md)
			}
		})
	}
}

func TestBreakFences(t *testing.T) {
	for in, want := range map[string]string{
		"no fence":     "no fence",
		"a `b` ``c``":  "a `b` ``c``",
		"```":          "``\u200b`",
		"x ``````` y":  "x ``\u200b``\u200b``\u200b` y",
		"```go\n```\n": "``\u200b`go\n``\u200b`\n",
		"é```é":        "é``\u200b`é",
	} {
		got := BreakFences(in)
		if got != want {
			t.Errorf("BreakFences(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "```") {
			t.Errorf("BreakFences(%q) = %q still holds a fence", in, got)
		}
	}
}
