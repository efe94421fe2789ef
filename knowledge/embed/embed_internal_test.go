package embed

import (
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
	normalize(v)
	return v
}

func TestVectorOfAnalysisIsHashedV1(t *testing.T) {
	texts := []string{"", "the of and", "Parental leave: the annual leave of an employee",
		"Ünïcödé café and crème brûlée", "don't STOP 2024 vpn-access"}
	more, err := synth.ChunkTexts(synth.Options{Chunks: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, more...)
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
