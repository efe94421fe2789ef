package ingest

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChunkSections(t *testing.T) {
	para := func(s string) block { return block{kind: kindPara, text: s} }
	line := func(s string) block { return block{kind: kindLine, text: s} }
	code := func(s string) block { return block{kind: kindCode, text: s} }
	a15, b15, c15 := strings.Repeat("a", 15), strings.Repeat("b", 15), strings.Repeat("c", 15)

	tests := []struct {
		name     string
		opts     Options
		sections []section
		want     []Piece
	}{
		{
			name:     "paragraphs merge up to the limit",
			opts:     Options{MaxChunkChars: 40, MinChunkChars: 10},
			sections: []section{{path: []string{"A"}, blocks: []block{para(a15), para(b15), para(c15)}}},
			want:     []Piece{{"A", a15 + "\n\n" + b15}, {"A", c15}},
		},
		{
			name:     "long paragraph splits at sentence ends",
			opts:     Options{MaxChunkChars: 30, MinChunkChars: 5},
			sections: []section{{blocks: []block{para("One two three. Four five six. Seven eight nine.")}}},
			want:     []Piece{{"", "One two three. Four five six."}, {"", "Seven eight nine."}},
		},
		{
			name:     "abbreviations do not end a sentence",
			opts:     Options{MaxChunkChars: 30, MinChunkChars: 5},
			sections: []section{{blocks: []block{para("Ask Dr. Smith for a letter. Then wait.")}}},
			want:     []Piece{{"", "Ask Dr. Smith for a letter."}, {"", "Then wait."}},
		},
		{
			name:     "overlong sentence splits at words",
			opts:     Options{MaxChunkChars: 12, MinChunkChars: 1},
			sections: []section{{blocks: []block{para("alpha beta gamma delta epsilon")}}},
			want:     []Piece{{"", "alpha beta"}, {"", "gamma delta"}, {"", "epsilon"}},
		},
		{
			name:     "overlong word splits at characters, never inside one",
			opts:     Options{MaxChunkChars: 4, MinChunkChars: 1},
			sections: []section{{blocks: []block{para("ééééééééé x")}}},
			want:     []Piece{{"", "éééé"}, {"", "éééé"}, {"", "é x"}},
		},
		{
			name:     "list items and table rows join with one line end",
			opts:     Options{},
			sections: []section{{blocks: []block{line("- a"), line("- b"), para("After."), line("x | y"), {kind: kindLine, text: "- new list", newGroup: true}}}},
			want:     []Piece{{"", "- a\n- b\n\nAfter.\n\nx | y\n\n- new list"}},
		},
		{
			name:     "code that fits is fenced whole, after its lead-in",
			opts:     Options{},
			sections: []section{{blocks: []block{para("Run:"), code("make test")}}},
			want:     []Piece{{"", "Run:\n\n```\nmake test\n```"}},
		},
		{
			name: "long code splits at line ends into fenced parts, keeping indentation and its lead-in's company",
			opts: Options{MaxChunkChars: 30, MinChunkChars: 1},
			// Fenced whole the code would take 34 characters.
			sections: []section{{blocks: []block{para("Run:"), code("func f() {\n    return 1\n}")}}},
			want:     []Piece{{"", "Run:\n\n```…\nfunc f() {\n```"}, {"", "```…\n    return 1\n}\n```"}},
		},
		{
			name:     "a part keeps the blank lines within it and starts with none",
			opts:     Options{MaxChunkChars: 24, MinChunkChars: 1},
			sections: []section{{blocks: []block{code("a = 1\n\nb = 2\n\n\nc = 3333333")}}},
			want:     []Piece{{"", "```…\na = 1\n\nb = 2\n```"}, {"", "```…\nc = 3333333\n```"}},
		},
		{
			name:     "code of a list item is fenced at its indentation",
			opts:     Options{},
			sections: []section{{blocks: []block{line("- Run:"), {kind: kindCode, text: "make\n\ntest", indent: "  "}}}},
			want:     []Piece{{"", "- Run:\n\n  ```\n  make\n\n  test\n  ```"}},
		},
		{
			name:     "a limit too small for fences cuts code at lines, unfenced",
			opts:     Options{MaxChunkChars: 14, MinChunkChars: 1},
			sections: []section{{blocks: []block{code("func f() {\n    return 1\n}")}}},
			want:     []Piece{{"", "func f() {"}, {"", "    return 1\n}"}},
		},
		{
			name: "a short last chunk takes sentences back from the one before",
			opts: Options{MaxChunkChars: 40, MinChunkChars: 15},
			// Greedy packing would give "First one is here. Second one is
			// here." (37) and "End." (4).
			sections: []section{{blocks: []block{para("First one is here. Second one is here. End.")}}},
			want:     []Piece{{"", "First one is here."}, {"", "Second one is here. End."}},
		},
		{
			name:     "no rebalancing when it would leave a scrap before",
			opts:     Options{MaxChunkChars: 40, MinChunkChars: 15},
			sections: []section{{blocks: []block{para("Short one. Second sentence is longer. End.")}}},
			want:     []Piece{{"", "Short one. Second sentence is longer."}, {"", "End."}},
		},
		{
			name: "sections are never merged and empty ones are skipped",
			opts: Options{},
			sections: []section{
				{path: []string{"Leave"}, blocks: []block{para("Tiny.")}},
				{path: []string{"Leave", "Empty"}},
				{path: []string{"Leave", "Sick"}, blocks: []block{para("Also tiny.")}},
			},
			want: []Piece{{"Leave", "Tiny."}, {"Leave > Sick", "Also tiny."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts.withDefaults()
			got := chunkSections(tt.sections, opts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("chunks = %q\nwant %q", got, tt.want)
			}
			for _, p := range got {
				if n := utf8.RuneCountInString(p.Text); n > opts.MaxChunkChars {
					t.Errorf("chunk %q has %d characters, over %d", p.Text, n, opts.MaxChunkChars)
				}
			}
		})
	}
}

func TestChunkLongDocumentKeepsEveryWord(t *testing.T) {
	var src strings.Builder
	src.WriteString("# Handbook\n\n## Rules\n\n")
	for i := range 40 {
		src.WriteString("Rule number " + strings.Repeat("x", i%7+1) + " applies to everyone. It has a second sentence too.\n\n")
	}
	opts := Options{MaxChunkChars: 300, MinChunkChars: 100}
	got, err := Parse("handbook.md", []byte(src.String()), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Chunks) < 5 {
		t.Fatalf("got %d chunks, want the text spread over several", len(got.Chunks))
	}
	var words []string
	for i, c := range got.Chunks {
		n := utf8.RuneCountInString(c.Text)
		if n > opts.MaxChunkChars {
			t.Errorf("chunk %d has %d characters", i, n)
		}
		if i < len(got.Chunks)-1 && n < opts.MaxChunkChars/2 {
			t.Errorf("chunk %d has only %d characters: packing left room", i, n)
		}
		if c.Heading != "Rules" {
			t.Errorf("chunk %d heading = %q", i, c.Heading)
		}
		// Paragraphs fit whole, so every chunk ends a sentence.
		if !strings.HasSuffix(c.Text, ".") {
			t.Errorf("chunk %d does not end at a sentence: %q", i, c.Text)
		}
		words = append(words, strings.Fields(c.Text)...)
	}
	body := src.String()[strings.Index(src.String(), "Rule number"):]
	if want := strings.Fields(body); !reflect.DeepEqual(words, want) {
		t.Errorf("words differ after chunking: got %d words, want %d", len(words), len(want))
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		in, want Options
	}{
		{Options{}, Options{MaxChunkChars: 1200, MinChunkChars: 200}},
		{Options{MaxChunkChars: 100}, Options{MaxChunkChars: 100, MinChunkChars: 100}},
		{Options{MaxChunkChars: 500, MinChunkChars: 50}, Options{MaxChunkChars: 500, MinChunkChars: 50}},
		{Options{MaxChunkChars: -1, MinChunkChars: -1}, Options{MaxChunkChars: 1200, MinChunkChars: 200}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
