// Package llmtest is an in-process fake of an OpenAI-compatible API for
// tests: embeddings, chat completions (plain and streamed as server-sent
// events) and the model list, with injectable faults (429 with
// Retry-After, 5xx, slow responses, malformed JSON, vectors of the wrong
// dimension).
package llmtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Message is a chat message as the fake receives it.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is the part of a chat completion request the fake reads.
type ChatRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Stream   bool      `json:"stream"`
}

// Fault is one injected failure, used for the next request of its path.
type Fault struct {
	Status     int           // an HTTP error status, e.g. 429 or 500
	RetryAfter string        // the Retry-After header sent with Status
	Delay      time.Duration // wait before answering (a slow server)
	Malformed  bool          // answer 200 with a body that is not JSON
	// WrongDimension makes an embeddings response one element short.
	WrongDimension bool
	// FinishReason replaces a chat reply's finish_reason ("stop"), for
	// example with "length" or "content_filter".
	FinishReason string
	// CutAfter, when positive, ends a streamed reply's response after
	// that many pieces, without a finish_reason or the closing
	// data: [DONE], as a crashed server or a proxy's timeout may.
	CutAfter int
}

// Request is what the fake recorded of one request.
type Request struct {
	Path          string // without the leading /v1
	URLPath       string // as requested
	Authorization string
	Body          string
	At            time.Time
}

// Server is the fake. Set its fields before the first request.
type Server struct {
	*httptest.Server

	// Dimensions of the embeddings; default 8.
	Dimensions int
	// Models served by /models; default "chat-model" and "embed-model".
	Models []string
	// Reply writes the assistant's answer to a chat request; default: the
	// text "answer [1]".
	Reply func(ChatRequest) string
	// OmitFinishReason leaves the closing chunk with the finish_reason out
	// of streamed replies, which then end with data: [DONE] alone, as
	// some servers' do.
	OmitFinishReason bool
	// TokenDelay is the pause between streamed pieces.
	TokenDelay time.Duration
	// FirstTokenSent, if set, is called with the time just before the
	// first streamed piece is written and flushed to the connection.
	FirstTokenSent func(time.Time)

	mu       sync.Mutex
	faults   map[string][]Fault
	requests []Request
}

// New starts a fake server; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{Dimensions: 8, faults: map[string][]Fault{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the API root to configure a client with.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Fail queues faults for the next requests to path: "/embeddings",
// "/chat/completions" or "/models".
func (s *Server) Fail(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], faults...)
}

// Requests returns what was received so far, in order.
func (s *Server) Requests(path string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	s.mu.Lock()
	s.requests = append(s.requests, Request{Path: path, URLPath: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: string(body), At: time.Now()})
	var f Fault
	if q := s.faults[path]; len(q) > 0 {
		f, s.faults[path] = q[0], q[1:]
	}
	s.mu.Unlock()

	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"error":{"message":"injected status %d","type":"server_error"}}`, f.Status)
		return
	}
	if f.Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object": "list", "data": [{"embedding": [0.1, `)
		return
	}
	switch path {
	case "/embeddings":
		s.embeddings(w, body, f.WrongDimension)
	case "/chat/completions":
		s.chat(w, r, body, f)
	case "/models":
		s.models(w)
	default:
		http.Error(w, `{"error":{"message":"no such route"}}`, http.StatusNotFound)
	}
}

func (s *Server) embeddings(w http.ResponseWriter, body []byte, wrongDim bool) {
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	dim := s.Dimensions
	if wrongDim {
		dim--
	}
	type item struct {
		Object    string    `json:"object"`
		Embedding []float32 `json:"embedding"`
		Index     int       `json:"index"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
	}{Object: "list", Model: req.Model}
	for i, text := range req.Input {
		out.Data = append(out.Data, item{Object: "embedding", Embedding: Vector(req.Model+"\x00"+text, dim), Index: i})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Vector is the fake's deterministic, normalised embedding of text.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s", i, text)
		x := float64(h.Sum64()%2001)/1000 - 1
		v[i] = float32(x)
		norm += x * x
	}
	if norm > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(norm))
		}
	}
	return v
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, body []byte, f Fault) {
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	reply := "answer [1]"
	if s.Reply != nil {
		reply = s.Reply(req)
	}
	finish := "stop"
	if f.FinishReason != "" {
		finish = f.FinishReason
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": finish,
				"message": map[string]string{"role": "assistant", "content": reply}}},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher, _ := w.(http.Flusher)
	for i, piece := range Pieces(reply) {
		if f.CutAfter > 0 && i == f.CutAfter {
			return // the response ends: no finish_reason, no [DONE]
		}
		if i > 0 && s.TokenDelay > 0 {
			select {
			case <-time.After(s.TokenDelay):
			case <-r.Context().Done():
				return
			}
		}
		chunk, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": req.Model,
			"choices": []map[string]any{{"index": 0, "delta": map[string]string{"content": piece}}},
		})
		if i == 0 && s.FirstTokenSent != nil {
			s.FirstTokenSent(time.Now())
		}
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if !s.OmitFinishReason {
		chunk, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": req.Model,
			"choices": []map[string]any{{"index": 0, "delta": map[string]string{}, "finish_reason": finish}},
		})
		fmt.Fprintf(w, "data: %s\n\n", chunk)
	}
	io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// Pieces splits a reply into the pieces it is streamed in: words with
// their following space, roughly as a tokenizer would.
func Pieces(reply string) []string {
	var out []string
	for len(reply) > 0 {
		i := strings.IndexByte(reply, ' ')
		if i < 0 {
			out = append(out, reply)
			break
		}
		out = append(out, reply[:i+1])
		reply = reply[i+1:]
	}
	return out
}

func (s *Server) models(w http.ResponseWriter) {
	models := s.Models
	if models == nil {
		models = []string{"chat-model", "embed-model"}
	}
	type m struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []m    `json:"data"`
	}{Object: "list"}
	for _, id := range models {
		out.Data = append(out.Data, m{ID: id, Object: "model"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Request decodes a recorded chat completion request.
func (r Request) Request() ChatRequest {
	var c ChatRequest
	_ = json.Unmarshal([]byte(r.Body), &c)
	return c
}
