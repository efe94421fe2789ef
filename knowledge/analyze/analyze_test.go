package analyze

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge/synth"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"don't stop", []string{"dont", "stop"}},
		{"VPN-access in 2024", []string{"vpn", "access", "in", "2024"}},
		{"Ünïcödé café", []string{"ünïcödé", "café"}},
		{"bad \xff bytes", []string{"bad", "bytes"}},
		{"", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Words(tt.in)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTermsStemAndDropStopWords(t *testing.T) {
	got := Terms("Request the parental leave of an employee, not annual leave")
	want := []string{"request", "parent", "leav", "employe", "not", "annual", "leav",
		"parent_leav", "employe_not", "not_annual", "annual_leav"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Terms = %q, want %q", got, want)
	}
	got = ContentTerms("How do I request parental leave for my children?")
	want = []string{"request", "parent", "leav", "children"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ContentTerms = %q, want %q", got, want)
	}
	if a, b := Terms("employees"), Terms("employee"); !reflect.DeepEqual(a, b) {
		t.Errorf("plural and singular stem differently: %q vs %q", a, b)
	}
}

func TestSentences(t *testing.T) {
	text := "Leave is paid. You get 25 days, e.g. for holidays! Ask Dr. Smith first? Yes.\n\n- First item\n- Second item without stop\nValue is 3.5 units. Done"
	got := Sentences(text)
	want := []string{
		"Leave is paid.",
		"You get 25 days, e.g. for holidays!",
		"Ask Dr. Smith first?",
		"Yes.",
		"- First item",
		"- Second item without stop Value is 3.5 units.",
		"Done",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Sentences:\n got %q\nwant %q", got, want)
	}
}

// Chinese and Japanese sentences end at a full-width stop with no space
// after it; a closing quote stays with its sentence.
func TestSentencesFullWidth(t *testing.T) {
	got := Sentences("员工每年享有二十七天年假。病假另计！「可以延期吗？」可以。Mixed text. End")
	want := []string{"员工每年享有二十七天年假。", "病假另计！", "「可以延期吗？」", "可以。", "Mixed text.", "End"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Sentences:\n got %q\nwant %q", got, want)
	}
}

func TestSentencesKeepEveryWord(t *testing.T) {
	text := strings.Repeat("Alpha beta. gamma delta! Epsilon (zeta) eta? ", 20)
	got := strings.Join(Sentences(text), " ")
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(text), " ") {
		t.Fatalf("words lost or reordered:\n%s", got)
	}
}

// BenchmarkStem stems the words of synthetic text as ingest does, from
// every core at once: after the first pass nearly every word is a cache
// hit, so this measures the cache.
func BenchmarkStem(b *testing.B) {
	var words []string
	if err := synth.Docs(synth.Options{Chunks: 2000, Seed: 1}, func(d synth.Doc) error {
		for _, s := range d.Sections {
			words = append(words, Words(s.Text)...)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for _, w := range words {
		Stem(w)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			Stem(words[i%len(words)])
			i++
		}
	})
}

// The ASCII fast path splits exactly as the general one, on text made of
// the characters that matter to it.
func TestASCIIWordsMatchRuneWords(t *testing.T) {
	const alphabet = "abzAZ09 '.,-_\n\t"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		text := string(b)
		if got, want := asciiWords(text), runeWords(text); !slices.Equal(got, want) {
			t.Fatalf("%q: ASCII path %q, general path %q", text, got, want)
		}
	}
	for _, text := range []string{"Don't STOP", "rock'n'roll", "it's'", "'quoted'", "x'1", "HR's 2nd-floor"} {
		if got, want := asciiWords(text), runeWords(text); !slices.Equal(got, want) {
			t.Errorf("%q: ASCII path %q, general path %q", text, got, want)
		}
	}
}

// naiveTerms is the definition of Terms and QueryTerms, one string per
// phrase; the real ones cut phrases from a shared string.
func naiveTerms(text string, skip func(string) bool) []string {
	var terms, phrases []string
	prev := ""
	for _, w := range Words(text) {
		if skip(w) {
			prev = ""
			continue
		}
		stem := Stem(w)
		terms = append(terms, stem)
		if prev != "" {
			phrases = append(phrases, prev+"_"+stem)
		}
		prev = stem
	}
	return append(terms, phrases...)
}

func TestTermsMatchTheirDefinition(t *testing.T) {
	texts := []string{"", "the", "leave", "the leave", "parental leave the annual leave of an employee",
		"How do I get my tax refund?", "Ünïcödé café and the crème brûlée", "a b c d"}
	more, err := synth.ChunkTexts(synth.Options{Chunks: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, more...)
	query := func(w string) bool { return IsStopWord(w) || questionFiller[w] }
	for _, text := range texts {
		if got, want := Terms(text), naiveTerms(text, IsStopWord); !slices.Equal(got, want) {
			t.Fatalf("Terms(%q) = %q, want %q", text, got, want)
		}
		if got, want := QueryTerms(text), naiveTerms(text, query); !slices.Equal(got, want) {
			t.Fatalf("QueryTerms(%q) = %q, want %q", text, got, want)
		}
	}
}

// BenchmarkTerms analyses chunk-sized synthetic text, as ingest does for
// every chunk.
func BenchmarkTerms(b *testing.B) {
	texts, err := synth.ChunkTexts(synth.Options{Chunks: 1000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		Terms(texts[i%len(texts)])
	}
}
