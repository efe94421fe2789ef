package ingest

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCodeBlocks(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []CodeBlock
	}{
		{"none", "Prose with `code` and ``two``.\n- an item", nil},
		{
			name: "after a lead-in",
			text: "Run:\n\n```\nmake test\n```\n\nThen wait.",
			want: []CodeBlock{{Start: 6, End: 23, Code: "make test"}},
		},
		{
			name: "info string, indentation and a blank line",
			text: "- Install:\n  ```sh\n  brew install x\n\n  x version\n  ```",
			want: []CodeBlock{{Start: 11, End: 54, Indent: "  ", Code: "brew install x\n\nx version"}},
		},
		{
			name: "a shorter run of backticks does not close a longer fence",
			text: "````\n```\ninner\n```\n````",
			want: []CodeBlock{{Start: 0, End: 23, Code: "```\ninner\n```"}},
		},
		{
			name: "a part of a longer block",
			text: "```…\nline 40\n```",
			want: []CodeBlock{{Start: 0, End: 18, Code: "line 40", Part: true}},
		},
		{
			name: "a fence with backticks after it opens nothing",
			text: "```not` a fence\ntext",
			want: nil,
		},
		{
			name: "a block left open runs to the end",
			text: "a\n```\nb\nc",
			want: []CodeBlock{{Start: 2, End: 9, Code: "b\nc"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeBlocks(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CodeBlocks(%q) =\n%+v\nwant\n%+v", tt.text, got, tt.want)
			}
		})
	}
}

// FenceCode and CodeBlocks are each other's inverse, whatever backticks
// the code holds.
func TestFenceCodeRoundTrips(t *testing.T) {
	for _, code := range []string{"x := 1", "Write:\n```go\nx\n```", "a ```` b\n\n  c"} {
		for _, indent := range []string{"", "    "} {
			text := "Lead-in:\n\n" + FenceCode(code, indent) + "\n\nAfter."
			got := CodeBlocks(text)
			if len(got) != 1 || got[0].Code != code || got[0].Indent != indent || got[0].Part {
				t.Errorf("CodeBlocks(%q) = %+v, want the code %q back", text, got, code)
			}
		}
	}
}

// A code block longer than a chunk reaches the chunks in fenced parts
// that together hold every line, each marked as a part.
func TestParseLongCodeIntoParts(t *testing.T) {
	var code strings.Builder
	for i := range 60 {
		code.WriteString("echo step-" + strings.Repeat("x", i%9) + "\n")
	}
	for _, tt := range []struct{ file, src string }{
		{"deploy.md", "# Deploy\n\nRun the deploy script:\n\n```sh\n" + code.String() + "```\n"},
		{"deploy.html", "<h1>Deploy</h1><p>Run the deploy script:</p><pre>" + code.String() + "</pre>"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			opts := Options{MaxChunkChars: 300, MinChunkChars: 100}
			got, err := Parse(tt.file, []byte(tt.src), opts)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for i, c := range got.Chunks {
				if n := utf8.RuneCountInString(c.Text); n > opts.MaxChunkChars {
					t.Errorf("chunk %d has %d characters", i, n)
				}
				for _, b := range CodeBlocks(c.Text) {
					if !b.Part {
						t.Errorf("chunk %d holds a code block not marked as a part: %q", i, c.Text)
					}
					lines = append(lines, strings.Split(b.Code, "\n")...)
				}
			}
			if want := strings.Split(strings.TrimSuffix(code.String(), "\n"), "\n"); !reflect.DeepEqual(lines, want) {
				t.Errorf("the parts hold %d lines %q, want the %d of the code", len(lines), lines, len(want))
			}
		})
	}
}
