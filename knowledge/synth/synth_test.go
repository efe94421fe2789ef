package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
)

// digest hashes everything Docs produces for opts.
func digest(t testing.TB, opts Options) string {
	t.Helper()
	h := sha256.New()
	if err := Docs(opts, func(d Doc) error {
		writeDoc(h, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeDoc(h hash.Hash, d Doc) {
	fmt.Fprintf(h, "%s\x00%s\x00", d.ID, d.Title)
	for _, s := range d.Sections {
		fmt.Fprintf(h, "%s\x00%s\x00", s.Heading, s.Text)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	opts := Options{Chunks: 500, Seed: 7}
	a, b := digest(t, opts), digest(t, opts)
	if a != b {
		t.Errorf("same options, different corpora: %s, %s", a, b)
	}
	opts.Seed = 8
	if c := digest(t, opts); c == a {
		t.Error("seeds 7 and 8 gave the same corpus")
	}

	q1, q2 := Queries(Options{Seed: 7}, 50), Queries(Options{Seed: 7}, 50)
	if !slices.Equal(q1, q2) {
		t.Error("same options, different queries")
	}
	if q3 := Queries(Options{Seed: 8}, 50); slices.Equal(q1, q3) {
		t.Error("seeds 7 and 8 gave the same queries")
	}
	if short := Queries(Options{Seed: 7}, 10); !slices.Equal(short, q1[:10]) {
		t.Error("the first 10 of 50 queries differ from 10 queries")
	}
	// Queries do not depend on the corpus size.
	if q := Queries(Options{Seed: 7, Chunks: 123456}, 50); !slices.Equal(q, q1) {
		t.Error("queries changed with Chunks")
	}
}

// TestGolden pins the corpus itself: recorded benchmark results name only
// the options they were run with, so any change to the output, however
// harmless it looks, makes them incomparable. If a change is intended,
// update the digests and re-run the recorded benchmarks.
func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Chunks: 1000, Seed: 1, Flat: true}, "87d4a5686c7ce0432b5818e27f852fdf663576acfdea3e47bfede8dc891d02e8"},
		{Options{Chunks: 37, ChunksPerDoc: 3, WordsPerChunk: 20, Vocabulary: 500, Seed: 42, Flat: true}, "7c12ce7f13c50f7bdfef94ddda9c3d444877ed66194a6b3850511a54f6c355cd"},
		{Options{Chunks: 1000, Seed: 1}, "60a68ecf87a7b7c1c04193ca4c2496abfbea8e7d108124f3e359114cbb31e9be"},
	}
	for _, tt := range tests {
		if got := digest(t, tt.opts); got != tt.want {
			t.Errorf("%+v: corpus digest %s, want %s", tt.opts, got, tt.want)
		}
	}
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Seed: 1, Flat: true}, "795a89c36b2cb0dd1978a529a569c4adf005025eefcb92b7957fdce72d9510b4"},
		{Options{Seed: 1}, "ee6deb64407727587112849789077a3545e0adf3a5142a0bdfbe59266d52ea7f"},
	} {
		h := sha256.New()
		for _, q := range Queries(tt.opts, 100) {
			fmt.Fprintf(h, "%s\x00", q)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
			t.Errorf("%+v: query digest %s, want %s", tt.opts, got, tt.want)
		}
	}
}

func TestExactChunkCount(t *testing.T) {
	t.Parallel()
	for _, opts := range []Options{
		{Chunks: 0},
		{Chunks: 1},
		{Chunks: 9},
		{Chunks: 10},
		{Chunks: 11},
		{Chunks: 12345, Seed: 3},
		{Chunks: 100, ChunksPerDoc: 1},
		{Chunks: 100, ChunksPerDoc: 1000},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			t.Parallel()
			chunks, docs := 0, 0
			ids := make(map[string]bool)
			err := Docs(opts, func(d Doc) error {
				docs++
				chunks += len(d.Sections)
				if len(d.Sections) == 0 {
					t.Errorf("document %s has no sections", d.ID)
				}
				if ids[d.ID] {
					t.Errorf("document id %s repeated", d.ID)
				}
				ids[d.ID] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if chunks != opts.Chunks {
				t.Errorf("%d chunks, want %d", chunks, opts.Chunks)
			}
			per := opts.withDefaults().ChunksPerDoc
			if opts.Chunks > 10*per && (docs < opts.Chunks/(per+per/2) || docs > opts.Chunks/max(1, per/2)+1) {
				t.Errorf("%d documents for %d chunks at about %d per document", docs, chunks, per)
			}
		})
	}
}

func TestShape(t *testing.T) {
	t.Parallel()
	opts := Options{Chunks: 2000, Seed: 11}
	var perDoc []int
	err := Docs(opts, func(d Doc) error {
		perDoc = append(perDoc, len(d.Sections))
		if n := len(strings.Fields(d.Title)); n < 2 || n > 6 {
			t.Errorf("%s: title %q has %d words, want 2 to 6", d.ID, d.Title, n)
		}
		for i, s := range d.Sections {
			if n := len(strings.Fields(s.Heading)); n < 1 || n > 4 {
				t.Errorf("%s/%d: heading %q has %d words, want 1 to 4", d.ID, i, s.Heading, n)
			}
			if n := len(strings.Fields(s.Text)); n < 60 || n > 100 {
				t.Errorf("%s/%d: %d words, want 60 to 100", d.ID, i, n)
			}
			if !strings.HasSuffix(s.Text, ".") || s.Text[0] < 'A' || s.Text[0] > 'Z' {
				t.Errorf("%s/%d: text is not sentences: %q", d.ID, i, s.Text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// All but the last document have 5 to 15 sections.
	for i, n := range perDoc[:len(perDoc)-1] {
		if n < 5 || n > 15 {
			t.Errorf("document %d has %d sections, want 5 to 15", i, n)
		}
	}

	small := Options{Chunks: 50, WordsPerChunk: 8, Seed: 1}
	if err := Docs(small, func(d Doc) error {
		for _, s := range d.Sections {
			if n := len(strings.Fields(s.Text)); n < 6 || n > 10 {
				t.Errorf("WordsPerChunk 8: %d words, want 6 to 10", n)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	for i, q := range Queries(Options{Seed: 11}, 200) {
		if n := len(strings.Fields(q)); n < 3 || n > 7 {
			t.Errorf("query %d %q has %d words, want 3 to 7", i, q, n)
		}
	}
	if Queries(Options{}, 0) != nil {
		t.Error("Queries(0) is not empty")
	}
}

// words returns the lower-cased words of text, without punctuation.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r < 'a' || r > 'z' })
}

// descending returns the counts, largest first.
func descending(counts map[string]int) []int {
	freq := make([]int, 0, len(counts))
	for _, c := range counts {
		freq = append(freq, c)
	}
	slices.Sort(freq)
	slices.Reverse(freq)
	return freq
}

func TestZipf(t *testing.T) {
	t.Parallel()
	counts := make(map[string]int)
	total := 0
	err := Docs(Options{Chunks: 2000, Seed: 5, Flat: true}, func(d Doc) error {
		for _, s := range d.Sections {
			for _, w := range words(s.Text) {
				counts[w]++
				total++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	freq := descending(counts)

	// With exponent 1 over 50,000 words the top word is 1/H(50000), about
	// 8.8% of all words, and the 1000th about a thousandth of that.
	top := float64(freq[0]) / float64(total)
	if top < 0.08 || top > 0.097 {
		t.Errorf("most common word is %.3f of all words, want about 0.088", top)
	}
	if len(freq) < 1000 || freq[0] < 200*freq[999] {
		t.Errorf("most common word %d times, 1000th %d times: want a ratio near 1000", freq[0], freq[min(999, len(freq)-1)])
	}
	// The k-th word's share falls as 1/k: the 10th is about a tenth of
	// the first.
	if r := float64(freq[0]) / float64(freq[9]); r < 7 || r > 13 {
		t.Errorf("1st/10th frequency ratio %.1f, want about 10", r)
	}

	// Queries share the distribution: most contain one of the 100
	// most common words, as chat questions contain common words.
	common := make(map[string]bool)
	for w, c := range counts {
		if c >= freq[99] {
			common[w] = true
		}
	}
	hits := 0
	qs := Queries(Options{Seed: 5, Flat: true}, 1000)
	for _, q := range qs {
		if slices.ContainsFunc(words(q), func(w string) bool { return common[w] }) {
			hits++
		}
	}
	if hits < len(qs)/2 {
		t.Errorf("%d of %d queries contain a common word, want most", hits, len(qs))
	}
}

func TestVocabulary(t *testing.T) {
	t.Parallel()
	v := newVocabulary(defaultVocabulary, 1, mandelbrotShift)
	if v.size() != defaultVocabulary {
		t.Fatalf("%d words, want %d", v.size(), defaultVocabulary)
	}
	words := make([]string, v.size())
	for i := range words {
		words[i] = v.word(i)
	}
	seen := make(map[string]bool, len(words))
	stems := make(map[string]bool, len(words))
	for i, w := range words {
		if seen[w] {
			t.Errorf("word %q repeated", w)
		}
		seen[w] = true
		if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("word %d %q is not lower-case ASCII letters", i, w)
		}
		// Every word must survive indexing as its own term, or the
		// corpus would be smaller and flatter than its options say.
		terms := analyze.Terms(w)
		if len(terms) != 1 {
			t.Errorf("word %q indexes as %v", w, terms)
			continue
		}
		stems[terms[0]] = true
		if i > 0 && len(w) < len(words[i-1]) {
			t.Errorf("word %d %q is shorter than a more common word", i, w)
		}
	}
	// Stemming may fold a few pseudo-words together ("brale", "bral");
	// it must not shrink the vocabulary noticeably.
	if len(stems) < len(words)*95/100 {
		t.Errorf("%d distinct stems for %d words", len(stems), len(words))
	}
	t.Logf("%d words, %d distinct stems; most common: %v", len(words), len(stems), words[:10])

	// The alias table reproduces 1/(k+shift): exact probabilities summed
	// over all slots, for the topical corpus's shift and the flat one's 0.
	for _, shift := range []float64{mandelbrotShift, 0} {
		slots := zipfAlias(len(words), shift)
		prob := make([]float64, len(words))
		n := float64(len(words))
		for i, s := range slots {
			keep := float64(s.keep) / (1 << 32)
			prob[i] += keep / n
			prob[s.alias] += (1 - keep) / n
		}
		for _, k := range []int{1, 2, 10, 1000, 50000} {
			want := (1 + shift) / (float64(k) + shift)
			if r := prob[k-1] / prob[0] / want; r < 0.9999 || r > 1.0001 {
				t.Errorf("shift %g: P(rank %d)/P(rank 1) is %g times (1+shift)/(k+shift)", shift, k, r)
			}
		}
	}
}

// TestTopical checks the shape that makes the default corpus resemble
// real text (see the package comment): no word dominates, and the chunks
// of one document have words in common that chunks of two documents
// seldom share.
func TestTopical(t *testing.T) {
	t.Parallel()
	counts := make(map[string]int)
	total := 0
	var docs [][]map[string]bool // per document, per chunk: its words
	err := Docs(Options{Chunks: 3000, Seed: 5}, func(d Doc) error {
		var chunks []map[string]bool
		for _, s := range d.Sections {
			set := make(map[string]bool)
			for _, w := range words(s.Text) {
				counts[w]++
				total++
				set[w] = true
			}
			chunks = append(chunks, set)
		}
		docs = append(docs, chunks)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	freq := descending(counts)
	top10 := 0
	for _, c := range freq[:10] {
		top10 += c
	}
	// The flat corpus's ten most common words are a quarter of it.
	if share := float64(top10) / float64(total); share < 0.04 || share > 0.10 {
		t.Errorf("the ten most common words are %.3f of all words, want 0.04 to 0.10", share)
	}

	// Words a chunk shares with its document's next chunk, against
	// those it shares with the next document's first chunk, beyond the
	// 300 most common words (which every chunk tends to share).
	common := make(map[string]bool)
	for w, c := range counts {
		if c >= freq[299] {
			common[w] = true
		}
	}
	shared := func(a, b map[string]bool) int {
		n := 0
		for w := range a {
			if b[w] && !common[w] {
				n++
			}
		}
		return n
	}
	var same, other, pairs int
	for i := 0; i+1 < len(docs); i++ {
		if len(docs[i]) < 2 {
			continue
		}
		same += shared(docs[i][0], docs[i][1])
		other += shared(docs[i][0], docs[i+1][0])
		pairs++
	}
	if same < 3*other {
		t.Errorf("chunks of one document share %d rarer words over %d pairs, of different documents %d: want at least three times as many", same, pairs, other)
	}

	// Queries are about topics too: generating them is deterministic and
	// independent of the flat corpus's.
	if q, f := Queries(Options{Seed: 5}, 20), Queries(Options{Seed: 5, Flat: true}, 20); slices.Equal(q, f) {
		t.Error("topical and flat queries are the same")
	}
}

func TestDocsErrors(t *testing.T) {
	t.Parallel()
	if err := Docs(Options{Chunks: -1}, func(Doc) error { return nil }); err == nil {
		t.Error("negative Chunks accepted")
	}
	stop := errors.New("stop")
	calls := 0
	err := Docs(Options{Chunks: 100}, func(Doc) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func TestDocsMayBeKept(t *testing.T) {
	t.Parallel()
	var kept []Doc
	if err := Docs(Options{Chunks: 100, Seed: 2}, func(d Doc) error {
		kept = append(kept, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h1, h2 := sha256.New(), sha256.New()
	for _, d := range kept {
		writeDoc(h1, d)
	}
	if err := Docs(Options{Chunks: 100, Seed: 2}, func(d Doc) error {
		writeDoc(h2, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if string(h1.Sum(nil)) != string(h2.Sum(nil)) {
		t.Error("documents kept from earlier calls were overwritten")
	}
}

func BenchmarkDocs100k(b *testing.B) {
	opts := Options{Chunks: 100_000, Seed: 1}
	textBytes := 0
	for b.Loop() {
		textBytes = 0
		if err := Docs(opts, func(d Doc) error {
			for _, s := range d.Sections {
				textBytes += len(s.Text)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(opts.Chunks)*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	b.ReportMetric(float64(textBytes), "text-bytes/op")
}

func BenchmarkQueries(b *testing.B) {
	for b.Loop() {
		Queries(Options{Seed: 1}, 1000)
	}
}

func TestChunkTexts(t *testing.T) {
	opts := Options{Chunks: 57, Seed: 2}
	texts, err := ChunkTexts(opts)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := Docs(opts, func(d Doc) error {
		for _, s := range d.Sections {
			want = append(want, d.Title+"\n"+s.Heading+"\n"+s.Text)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(texts) != opts.Chunks || !slices.Equal(texts, want) {
		t.Fatalf("%d texts for %d chunks, or not each section's title, heading and text", len(texts), opts.Chunks)
	}
}
