package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestRequestIDReachesLogLines(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil))).With("component", "test")

	ctx := WithRequestID(context.Background(), "Ev123")
	log.InfoContext(ctx, "answered")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["request_id"] != "Ev123" || line["component"] != "test" {
		t.Fatalf("log line %v lacks request_id Ev123 or the logger's attributes", line)
	}

	buf.Reset()
	log.Info("no context")
	if bytes.Contains(buf.Bytes(), []byte("request_id")) {
		t.Fatalf("a line without a request context got an id: %s", buf.String())
	}
}

func TestEnsureKeepsAnExistingID(t *testing.T) {
	ctx := Ensure(context.Background())
	id := RequestID(ctx)
	if len(id) != 16 {
		t.Fatalf("new request id %q", id)
	}
	if got := RequestID(Ensure(ctx)); got != id {
		t.Fatalf("Ensure replaced %q with %q", id, got)
	}
	if RequestID(Ensure(context.Background())) == id {
		t.Fatal("two new request ids are equal")
	}
}
