package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func chunkTexts(p Parsed) string {
	var b strings.Builder
	for _, c := range p.Chunks {
		b.WriteString(c.Text + "\n")
	}
	return b.String()
}

// Block quotes and lists nested thousands deep made goldmark's work grow
// with the square of the depth (80,000 '>' took 16 s). Past maxNesting a
// marker is now text of the innermost block, so it shows in the chunk.
func TestParseMarkdownBoundsNesting(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"block quotes on one line", strings.Repeat(">", maxNesting+30) + " deep", strings.Repeat(">", 30) + " deep"},
		{"lists on one line", strings.Repeat("- ", maxNesting+30) + "deep", "- - - deep"},
		{"quotes within lists", strings.Repeat("> - ", maxNesting+30) + "deep", "> - > - deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("deep.md", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if text := chunkTexts(got); !strings.Contains(text, tt.want) {
				t.Errorf("text %q does not keep the markers past the limit (%q)", text, tt.want)
			}
		})
	}
	// Nesting within the limit is unchanged.
	got, err := Parse("q.md", []byte("> > quoted twice\n\n- a\n  - b\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if text := chunkTexts(got); strings.Contains(text, ">") || !strings.Contains(text, "- a\n  - b") {
		t.Errorf("shallow nesting rendered as %q", text)
	}
}

// A block full of inline marks that never pair up ("[a](b[a](b...") made
// the inline parser scan the rest of the block for each mark: 400 KB of
// "[" took 42 s. Such a block keeps its text as written.
func TestParseMarkdownKeepsCostlyInlineMarkupAsWritten(t *testing.T) {
	costly := strings.Repeat("*a* [b](c) ", 400) // 4,400 bytes, 1,600 marks
	if w := len(costly) * 1600; w <= maxInlineWork {
		t.Fatalf("test input of work %d is within maxInlineWork", w)
	}
	src := "# Guide\n\nSee [the policy](https://example.com/policy) first.\n\n" +
		"## Costly\n\n" + costly + "\n\n" +
		"- item " + costly + "\n\n" +
		"## " + costly + "\n\nUnder a costly heading.\n\n" +
		"| a | b |\n|---|---|\n| [x](y) | " + costly + " |\n"
	got, err := Parse("guide.md", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := chunkTexts(got)
	if !strings.Contains(text, "See the policy (https://example.com/policy) first.") {
		t.Errorf("an ordinary paragraph lost its link rendering:\n%s", text)
	}
	if n := strings.Count(text, "[b](c)"); n != 3*400 {
		t.Errorf("the costly paragraph, list item and table row keep %d of their %d links, want them as written", n, 3*400)
	}
	var headed bool
	for _, c := range got.Chunks {
		if strings.HasPrefix(c.Heading, "*a* [b](c) *a*") && strings.Contains(c.Text, "Under a costly heading.") {
			headed = true
			if n := len([]rune(c.Heading)); n > maxHeadingChars {
				t.Errorf("heading of %d characters, over %d", n, maxHeadingChars)
			}
		}
	}
	if !headed {
		t.Errorf("the costly heading was not kept as written: %+v", got.Chunks)
	}
}

// A title in front matter could carry an escape sequence to the terminal
// that lists it ("\e]0;X\a" sets a terminal's title).
func TestParseDropsControlCharactersFromMetadata(t *testing.T) {
	src := "---\n" +
		`title: "a \e]0;X\a b"` + "\n" +
		`owner: "Fin\u009bance\tteam"` + "\n" +
		`tags: ["x\ny", "z\e[2J"]` + "\n" +
		"---\n" +
		"## Head &#27;[31mred\n\nBody &#27;[2J text &#155;x.\n"
	got, err := Parse("doc.md", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Parsed{Title: "a ]0;X b", Owner: "Finance team", Tags: []string{"x y", "z[2J"}}
	if got.Title != want.Title || got.Owner != want.Owner || strings.Join(got.Tags, "|") != strings.Join(want.Tags, "|") {
		t.Errorf("got title %q owner %q tags %q, want %q %q %q", got.Title, got.Owner, got.Tags, want.Title, want.Owner, want.Tags)
	}
	if len(got.Chunks) != 1 || got.Chunks[0].Heading != "Head [31mred" || got.Chunks[0].Text != "Body [2J text x." {
		t.Errorf("chunks %+v, want the heading and text without control characters", got.Chunks)
	}
	long := "---\ntitle: " + strings.Repeat("long ", 100) + "\n---\nBody."
	if got, err := Parse("doc.md", []byte(long), Options{}); err != nil || len([]rune(got.Title)) > maxTitleChars || !strings.HasSuffix(got.Title, "…") {
		t.Errorf("a 500-character title became %q (%v)", got.Title, err)
	}
}

func TestInterruptibleGivesUpWhenCancelled(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	go func() {
		<-started
		cancel()
	}()
	_, err := Interruptible(ctx, func() (Parsed, error) {
		defer close(finished)
		close(started)
		<-release // a parser that never returns on its own
		return Parsed{Title: "late"}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	close(release)
	<-finished

	got, err := Interruptible(t.Context(), func() (Parsed, error) { return Parsed{Title: "done"}, nil })
	if err != nil || got.Title != "done" {
		t.Errorf("a parse that ends: %q, %v", got.Title, err)
	}
}
