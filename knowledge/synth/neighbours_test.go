package synth_test

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/synth"
)

// sciFactChunks returns SciFact's abstracts cut into chunks of about 80
// words, each with its title, as the bench's chunks carry theirs. The data
// is in the shared folder next to the repository; without it the
// comparison proves nothing, so the test fails in CI and skips elsewhere.
func sciFactChunks(t *testing.T) []string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "testdata", "retrieval", "scifact", "corpus.jsonl")
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("SciFact corpus: %v", err)
		}
		t.Skipf("SciFact corpus not found (%v); put the shared folder next to the repository", err)
	}
	defer f.Close()
	var chunks []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var d struct{ Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		words := strings.Fields(d.Text)
		for i := 0; i < len(words); i += 80 {
			chunks = append(chunks, d.Title+" "+strings.Join(words[i:min(i+80, len(words))], " "))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return chunks
}

func synthChunks(t *testing.T, opts synth.Options) []string {
	t.Helper()
	var chunks []string
	if err := synth.Docs(opts, func(d synth.Doc) error {
		for _, s := range d.Sections {
			chunks = append(chunks, d.Title+" "+s.Heading+" "+s.Text)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return chunks
}

// localIntrinsicDimension embeds the chunks with the offline embedder and
// returns the mean maximum-likelihood estimate of the local intrinsic
// dimensionality (Levina and Bickel) at k = 20 nearest neighbours by
// cosine distance, over samples chunks spread through the list. The higher
// it is, the more alike a point's near and far neighbours, and the harder
// approximate nearest-neighbour search.
func localIntrinsicDimension(chunks []string, samples int) float64 {
	const k = 20
	h := embed.NewHashed(0)
	vecs := make([][]float32, len(chunks))
	for i, c := range chunks {
		vecs[i] = h.Vector(c)
	}
	var sum float64
	dist := make([]float64, 0, len(vecs))
	for s := range samples {
		qi := s * len(vecs) / samples
		q := vecs[qi]
		dist = dist[:0]
		for i, v := range vecs {
			if i == qi {
				continue
			}
			var dot float64
			for j := range v {
				dot += float64(v[j]) * float64(q[j])
			}
			dist = append(dist, 1-dot)
		}
		slices.Sort(dist)
		var logs float64
		for _, d := range dist[:k] {
			logs += math.Log(max(d, 1e-9) / dist[k-1])
		}
		sum += -k / logs
	}
	return sum / float64(samples)
}

// TestNeighboursLikeRealText compares the neighbourhoods of the bench's
// corpora with those of real text, both embedded as Lore embeds chunks:
// the topical corpus must be nearer to SciFact than the flat one and not
// easier for vector search than it. `go test -run NeighboursLikeRealText
// -v` prints the figures that docs/benchmarks.md records.
func TestNeighboursLikeRealText(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds 45,000 chunks")
	}
	const samples = 150
	real := localIntrinsicDimension(sciFactChunks(t), samples)
	topical := localIntrinsicDimension(synthChunks(t, synth.Options{Chunks: 15000, Seed: 1}), samples)
	flat := localIntrinsicDimension(synthChunks(t, synth.Options{Chunks: 15000, Seed: 1, Flat: true}), samples)
	t.Logf("local intrinsic dimensionality at 20 neighbours: SciFact %.1f, topical corpus %.1f, flat corpus %.1f", real, topical, flat)
	if math.Abs(topical-real) >= math.Abs(flat-real) {
		t.Errorf("the topical corpus (%.1f) is no nearer to SciFact (%.1f) than the flat one (%.1f)", topical, real, flat)
	}
	if topical < real*0.9 {
		t.Errorf("the topical corpus (%.1f) is easier for vector search than SciFact (%.1f)", topical, real)
	}
}
