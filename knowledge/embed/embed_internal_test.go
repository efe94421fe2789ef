package embed

import (
	"math"
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/synth"
)

// referenceVector is hashed-v1 as first defined: text split, stop words
// skipped and words stemmed as it goes. Stored vectors are compared with
// new ones, so the analysed path must give exactly these.
func referenceVector(h *Hashed, text string) []float32 {
	v := make([]float32, h.dim)
	prev := ""
	for _, w := range analyze.Words(text) {
		if analyze.IsStopWord(w) {
			prev = ""
			continue
		}
		stem := analyze.Stem(w)
		h.add(v, fnvString(fnvOffset, "w:"+stem), weightWord)
		if prev != "" {
			h.add(v, fnvString(fnvOffset, "b:"+prev+" "+stem), weightBigram)
		}
		prev = stem
		g := "^" + w + "$"
		for i := 0; i+3 <= len(g); i++ {
			h.add(v, fnvString(fnvOffset, g[i:i+3]), weightTrigram)
		}
	}
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}

func TestVectorOfAnalysisIsHashedV1(t *testing.T) {
	texts := []string{"", "the of and", "Parental leave: the annual leave of an employee",
		"Ünïcödé café and crème brûlée", "don't STOP 2024 vpn-access"}
	if err := synth.Docs(synth.Options{Chunks: 200, Seed: 5}, func(d synth.Doc) error {
		for _, s := range d.Sections {
			texts = append(texts, d.Title+"\n"+s.Heading+"\n"+s.Text)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, dim := range []int{0, 64} {
		h := NewHashed(dim)
		for _, text := range texts {
			got, want := h.VectorOf(analyze.Analyze(text)), referenceVector(h, text)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("dim %d, %q: component %d = %v, want %v", h.dim, text, i, got[i], want[i])
				}
			}
		}
	}
}
