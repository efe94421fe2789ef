// Package storetest is the conformance suite for store backends. Every
// backend runs it with one line from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// so that Lore behaves the same whichever database an operator picks. A
// change of behaviour is made here first and then in every backend.
//
// RunClock adds the cases that need to set the store's clock, and
// RunEmbeddings those that need two handles on one database. The suite
// uses vectors of dimension 8, so open must return stores whose dimension
// is fixed by the first vector written.
//
// The package also holds fixtures for the backends' own tests and
// benchmarks (Doc, UnitVector, BenchChunks), so that they build the same
// data and their figures compare.
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lorehq/lore/store"
)

// Dim is the vector dimension the suite writes.
const Dim = 8

// Run runs the conformance suite. Each subtest calls open for a fresh,
// empty store and may run in parallel with the others; Run closes the
// store when the subtest ends, so Close must be safe to call twice if open
// also arranges to close it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Documents", documentCases},
		{"Search", searchCases},
		{"Events", eventCases},
		{"Engagement", engagementCases},
		{"Locks", lockCases},
		{"Claims", claimCases},
		{"People", peopleCases},
		{"Sources", sourceCases},
		{"Peers", peerCases},
		{"Lifecycle", lifecycleCases},
		{"BulkLoad", bulkCases},
		{"Nudges", nudgeCases},
		{"Audiences", audienceCases},
		{"Freshness", freshnessCases},
		{"Audit", auditCases},
		{"Forget", forgetCases},
		{"Identifiers", idCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("close: %v", err)
						}
					})
					c.run(t, s)
				})
			}
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// basis returns the i-th unit vector.
func basis(i int) []float32 {
	v := make([]float32, Dim)
	v[i] = 1
	return v
}

// mix returns a*basis(i) + b*basis(j).
func mix(i int, a float32, j int, b float32) []float32 {
	v := make([]float32, Dim)
	v[i] += a
	v[j] += b
	return v
}

func newDoc(id, collection string) store.Document {
	return store.Document{
		ID:          id,
		Collection:  collection,
		Source:      collection + "/" + id + ".md",
		Title:       "Title of " + id,
		ContentHash: "hash-" + id,
	}
}

func newChunk(ordinal int, text string, terms []string, vector []float32) store.Chunk {
	return store.Chunk{Ordinal: ordinal, Heading: fmt.Sprintf("Section %d", ordinal), Text: text, Terms: terms, Vector: vector}
}

func mustReplace(t *testing.T, s store.Store, doc store.Document, chunks ...store.Chunk) {
	t.Helper()
	MustReplace(t, s, doc, chunks)
}

func mustStats(t *testing.T, s store.Store) store.Stats {
	t.Helper()
	st, err := s.Stats(t.Context())
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	return st
}

func wantStats(t *testing.T, s store.Store, want store.Stats) {
	t.Helper()
	if got := mustStats(t, s); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}

// allChunks returns every chunk of the store, ordered by id, without going
// through search. The Store interface has no listing, so it probes
// Chunks with windows of ids until it has found as many as Stats counts;
// it relies only on ids being positive and assigned from a sequence, as
// they are in a fresh store of every backend.
func allChunks(t *testing.T, s store.Store) []store.ChunkView {
	t.Helper()
	want := mustStats(t, s).Chunks
	const window, maxWindows = 500, 200
	var views []store.ChunkView
	for w := range int64(maxWindows) {
		if len(views) >= want {
			break
		}
		ids := make([]int64, window)
		for i := range ids {
			ids[i] = w*window + int64(i) + 1
		}
		got, err := s.Chunks(t.Context(), ids)
		if err != nil {
			t.Fatalf("load chunks: %v", err)
		}
		views = append(views, got...)
	}
	if len(views) != want {
		t.Fatalf("found %d chunks by id, Stats counts %d", len(views), want)
	}
	return views
}

// chunksOf returns the chunks of one document, by ordinal.
func chunksOf(t *testing.T, s store.Store, docID string) []store.ChunkView {
	t.Helper()
	var out []store.ChunkView
	for _, v := range allChunks(t, s) {
		if v.DocID == docID {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b store.ChunkView) int { return a.Ordinal - b.Ordinal })
	return out
}

func ids(views []store.ChunkView) []int64 {
	out := make([]int64, len(views))
	for i, v := range views {
		out[i] = v.ID
	}
	return out
}

func texts(views []store.ChunkView) []string {
	out := make([]string, len(views))
	for i, v := range views {
		out[i] = v.Text
	}
	return out
}

func wantErrorIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want one wrapping %q", what, err, target)
	}
}
