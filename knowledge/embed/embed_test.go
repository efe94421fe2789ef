package embed_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/synth"
)

// The offline embedder must satisfy the interface the rest of Lore uses.
var _ embed.Embedder = (*embed.Hashed)(nil)

func cosine(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("vectors of different dimension: %d and %d", len(a), len(b))
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestHashedDimensions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dim  int
		want int
	}{
		{"zero means default", 0, embed.DefaultDimensions},
		{"negative means default", -5, embed.DefaultDimensions},
		{"small", 8, 8},
		{"odd", 97, 97},
		{"large", 1024, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := embed.NewHashed(tt.dim)
			if got := h.Dimensions(); got != tt.want {
				t.Errorf("Dimensions() = %d, want %d", got, tt.want)
			}
			if got := len(h.Vector("annual leave for part-time staff")); got != tt.want {
				t.Errorf("len(Vector) = %d, want %d", got, tt.want)
			}
			vecs, err := h.Embed(t.Context(), []string{"one text", "another text"})
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			for i, v := range vecs {
				if len(v) != tt.want {
					t.Errorf("len(Embed()[%d]) = %d, want %d", i, len(v), tt.want)
				}
			}
		})
	}
}

func TestHashedIsDeterministicAcrossInstances(t *testing.T) {
	t.Parallel()
	texts := []string{
		"How do I reset my VPN password?",
		"Parental leave: 26 weeks at full pay.",
		"Ünïcödé wörds and emoji 🚀 survive",
		"a",
	}
	a, b := embed.NewHashed(0), embed.NewHashed(embed.DefaultDimensions)
	va, err := a.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	vb, err := b.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	if len(va) != len(texts) || len(vb) != len(texts) {
		t.Fatalf("got %d and %d vectors for %d texts", len(va), len(vb), len(texts))
	}
	for i, text := range texts {
		t.Run(text, func(t *testing.T) {
			for j := range va[i] {
				if va[i][j] != vb[i][j] {
					t.Fatalf("component %d differs between instances: %v vs %v", j, va[i][j], vb[i][j])
				}
			}
			// Vector and Embed are the same function of the text.
			again := a.Vector(text)
			for j := range again {
				if again[j] != va[i][j] {
					t.Fatalf("Vector and Embed differ at %d: %v vs %v", j, again[j], va[i][j])
				}
			}
		})
	}
}

// Vectors stored by one process are compared with questions embedded by
// another, so the hashing must not depend on a per-process seed. The test
// binary runs itself again and compares the vectors the child prints.
func TestHashedIsStableAcrossProcesses(t *testing.T) {
	texts := []string{"vpn", "How do I reset my VPN password?", "Elternzeit für Väter"}
	if os.Getenv(childEnv) == "1" {
		h := embed.NewHashed(0)
		for _, text := range texts {
			fmt.Println(formatVector(h.Vector(text)))
		}
		return
	}
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHashedIsStableAcrossProcesses$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	var lines []string
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "[") {
			lines = append(lines, line)
		}
	}
	if len(lines) != len(texts) {
		t.Fatalf("child printed %d vectors, want %d:\n%s", len(lines), len(texts), out)
	}
	h := embed.NewHashed(0)
	for i, text := range texts {
		if want := formatVector(h.Vector(text)); lines[i] != want {
			t.Errorf("%q embeds differently in another process:\n got %s\nwant %s", text, lines[i], want)
		}
	}
}

const childEnv = "LORE_EMBED_TEST_CHILD"

// formatVector prints a vector exactly, one hexadecimal float32 bit
// pattern per component.
func formatVector(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatUint(uint64(math.Float32bits(x)), 16)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestHashedUnitLength(t *testing.T) {
	t.Parallel()
	texts := []string{
		"vpn",
		"How many days of annual leave do I get?",
		"The on-call engineer acknowledges a page within fifteen minutes and opens an incident channel.",
		"数据 分类 policy",
	}
	for _, dim := range []int{4, 64, 0} {
		h := embed.NewHashed(dim)
		for _, text := range texts {
			v := h.Vector(text)
			if n := norm(v); math.Abs(n-1) > 1e-5 {
				t.Errorf("dim %d, %q: norm %v, want 1", h.Dimensions(), text, n)
			}
		}
	}
}

func TestHashedEmptyTextIsZeroVector(t *testing.T) {
	t.Parallel()
	h := embed.NewHashed(0)
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"whitespace", "  \t\n "},
		{"punctuation", "?!... --- ,;"},
		{"stop words only", "the and of to a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := h.Vector(tt.text)
			if len(v) != embed.DefaultDimensions {
				t.Fatalf("len = %d, want %d", len(v), embed.DefaultDimensions)
			}
			for i, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("component %d is %v", i, x)
				}
				if x != 0 {
					t.Fatalf("component %d = %v, want a zero vector", i, x)
				}
			}
		})
	}
}

func TestHashedSimilarity(t *testing.T) {
	t.Parallel()
	h := embed.NewHashed(0)
	tests := []struct {
		name      string
		text      string
		similar   string
		unrelated string
	}{
		{
			name:      "paraphrase",
			text:      "How do I reset my VPN password?",
			similar:   "Resetting the VPN password",
			unrelated: "Parental leave lasts twenty-six weeks",
		},
		{
			name:      "word forms",
			text:      "expenses reimbursement",
			similar:   "expense reimbursed",
			unrelated: "laptop encryption",
		},
		{
			name:      "shared phrase",
			text:      "annual leave allowance for new starters",
			similar:   "how much annual leave do new starters get",
			unrelated: "incident postmortem template and owners",
		},
		{
			name:      "sub-word overlap",
			text:      "onboarding",
			similar:   "onboard",
			unrelated: "pension",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := h.Vector(tt.text)
			sim := cosine(t, base, h.Vector(tt.similar))
			unrel := cosine(t, base, h.Vector(tt.unrelated))
			if sim <= unrel {
				t.Errorf("cos(%q, %q) = %.3f, not above cos(%q, %q) = %.3f",
					tt.text, tt.similar, sim, tt.text, tt.unrelated, unrel)
			}
			if sim < 0.2 {
				t.Errorf("cos(%q, %q) = %.3f, want a clear similarity", tt.text, tt.similar, sim)
			}
			if self := cosine(t, base, base); math.Abs(self-1) > 1e-5 {
				t.Errorf("self-similarity %.6f, want 1", self)
			}
		})
	}
}

func TestHashedEmbedBatch(t *testing.T) {
	t.Parallel()
	h := embed.NewHashed(32)
	tests := []struct {
		name  string
		texts []string
	}{
		{"none", nil},
		{"one", []string{"vpn"}},
		{"several with empty", []string{"vpn", "", "leave"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vecs, err := h.Embed(t.Context(), tt.texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			if len(vecs) != len(tt.texts) {
				t.Fatalf("got %d vectors for %d texts", len(vecs), len(tt.texts))
			}
			for i, text := range tt.texts {
				want := h.Vector(text)
				for j := range want {
					if vecs[i][j] != want[j] {
						t.Fatalf("text %d (%q): component %d = %v, want %v", i, text, j, vecs[i][j], want[j])
					}
				}
			}
		})
	}
}

func TestHashedName(t *testing.T) {
	t.Parallel()
	if name := embed.NewHashed(0).Name(); name == "" {
		t.Error("Name() is empty; the store records it with every vector")
	}
}

// BenchmarkHashedVector embeds chunk-sized synthetic text, as ingest does
// for every chunk.
func BenchmarkHashedVector(b *testing.B) {
	texts := benchTexts(b)
	h := embed.NewHashed(0)
	for i := 0; b.Loop(); i++ {
		h.Vector(texts[i%len(texts)])
	}
}

// BenchmarkChunkAnalysis is what ingest does for each chunk: its index
// terms and its vector, from text analysed twice (once for each) or once.
func BenchmarkChunkAnalysis(b *testing.B) {
	texts := benchTexts(b)
	h := embed.NewHashed(0)
	b.Run("twice", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			analyze.Terms(texts[i%len(texts)])
			h.Vector(texts[i%len(texts)])
		}
	})
	b.Run("once", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a := analyze.Analyze(texts[i%len(texts)])
			a.Terms()
			h.VectorOf(a)
		}
	})
}

func benchTexts(b *testing.B) []string {
	texts, err := synth.ChunkTexts(synth.Options{Chunks: 1000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return texts
}
