// Package knowledge answers questions from the content curators load.
//
// It ingests files into chunks (with knowledge/ingest), embeds them
// (knowledge/embed), retrieves passages by hybrid lexical and vector search,
// and composes a short answer with numbered citations: extractive (quoted
// sentences, offline, the default) or written by a language model from the
// passages (Options.Model), falling back to the extractive answer whenever
// the model fails. When the passages do not support an answer it says so,
// and the caller records a content gap.
package knowledge

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

// Store is what the knowledge capability needs from the database.
type Store interface {
	store.Documents
	store.Search
	store.Locks
	store.Collections
}

// Options configure a Service. The zero value is usable.
type Options struct {
	// Embedder embeds chunks and questions; default: the offline hashed
	// embedder.
	Embedder embed.Embedder
	// Threshold is the retrieval confidence below which Lore says it does
	// not know. Default: DefaultThreshold.
	Threshold float64
	// MaxQuestionBytes bounds a question; default 2,000.
	MaxQuestionBytes int
	// Clock returns the current time; default time.Now.
	Clock func() time.Time
	// IngestLease is how long the ingest lock outlives a crashed ingest; a
	// running ingest renews it every third of that. Default 30 s.
	IngestLease time.Duration
	// EmbedderFor returns an embedder for a store whose vectors come from
	// another embedder than Embedder (a model changed before 'lore
	// reindex' ran), so that searches keep using those vectors meanwhile.
	// Default: only the offline embedder's vectors are searchable that
	// way; others leave search to words alone until the reindex.
	EmbedderFor func(store.EmbeddingSpace) (embed.Embedder, error)
	// ReindexBatch is how many chunks Reindex embeds and stages at a
	// time; an interrupted reindex keeps every finished batch. Default 256.
	ReindexBatch int
	// Model, when set, writes answers from the retrieved passages (and
	// condenses follow-up questions); nil keeps the extractive answers.
	Model LanguageModel
	// AnswerTimeout bounds the time spent on the model for one question;
	// past it the extractive answer is given instead. Default 20 s.
	AnswerTimeout time.Duration
	// ContextTokens is the token budget of a model prompt: passages are
	// added best first until it is spent. Default 3,000.
	ContextTokens int
	// FeedbackRefresh is how often the votes that shape ranking are read
	// again from the store's engagement log (when it keeps one);
	// negative turns feedback-shaped ranking off. Default
	// DefaultFeedbackRefresh.
	FeedbackRefresh time.Duration
	// PDF reads the PDFs Load ingests; nil reads them in this process
	// (see ingest.Options.PDF).
	PDF ingest.PDFReader
	// Synonyms widen questions with the knowledge base's own words for
	// what they ask about; nil adds none.
	Synonyms *Synonyms
}

// Service is the knowledge capability.
type Service struct {
	store     Store
	embedder  embed.Embedder
	threshold float64
	maxBytes  int
	now       func() time.Time
	ranking   ranking
	lease     time.Duration

	// spaces is the store's record of its embedder, when it keeps one.
	spaces           store.Embeddings
	embedderForSpace func(store.EmbeddingSpace) (embed.Embedder, error)
	active           activeEmbedder
	reindexBatch     int

	model         LanguageModel
	answerTimeout time.Duration
	contextTokens int

	feedback feedbackRanker
	pdf      ingest.PDFReader
	synonyms atomic.Pointer[Synonyms]
}

// UseSynonyms replaces the synonyms that widen questions (nil: none), as
// when the demo loads the sample handbook with its own.
func (s *Service) UseSynonyms(syn *Synonyms) { s.synonyms.Store(syn) }

// New returns a Service over st.
func New(st Store, opts Options) *Service {
	s := &Service{
		store:     st,
		embedder:  opts.Embedder,
		threshold: opts.Threshold,
		maxBytes:  opts.MaxQuestionBytes,
		now:       opts.Clock,
		ranking:   defaultRanking,
		lease:     opts.IngestLease,

		embedderForSpace: opts.EmbedderFor,
		reindexBatch:     opts.ReindexBatch,

		model:         opts.Model,
		answerTimeout: opts.AnswerTimeout,
		contextTokens: opts.ContextTokens,
		pdf:           opts.PDF,
	}
	s.synonyms.Store(opts.Synonyms)
	s.spaces, _ = st.(store.Embeddings)
	s.feedback.source, _ = st.(store.Feedback)
	s.feedback.refresh = opts.FeedbackRefresh
	if s.feedback.refresh == 0 {
		s.feedback.refresh = DefaultFeedbackRefresh
	}
	if s.reindexBatch <= 0 {
		s.reindexBatch = defaultReindexBatch
	}
	if s.answerTimeout <= 0 {
		s.answerTimeout = DefaultAnswerTimeout
	}
	if s.contextTokens <= 0 {
		s.contextTokens = defaultContextTokens
	}
	if s.lease <= 0 {
		s.lease = defaultIngestLease
	}
	if s.embedder == nil {
		s.embedder = embed.NewHashed(0)
	}
	if s.threshold == 0 {
		s.threshold = DefaultThreshold
	}
	if s.maxBytes == 0 {
		s.maxBytes = 2000
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// DefaultAnswerTimeout bounds the model's part of an answer.
const DefaultAnswerTimeout = 20 * time.Second

// Errors about a question, worded for the person who asked it.
var (
	ErrEmptyQuestion   = errors.New("the question is empty")
	ErrQuestionTooLong = errors.New("the question is too long")
	ErrInvalidText     = errors.New("the question is not valid UTF-8 text")
)

// CheckQuestion validates a question before any work is done on it.
func (s *Service) CheckQuestion(q string) error {
	switch {
	case !utf8.ValidString(q):
		return ErrInvalidText
	case len(q) > s.maxBytes:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrQuestionTooLong, len(q), s.maxBytes)
	case len(analyze.Words(q)) == 0:
		return ErrEmptyQuestion
	}
	return nil
}
