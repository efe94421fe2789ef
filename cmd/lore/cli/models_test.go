package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge/llm/llmtest"
)

const modelKey = "sk-cli-test-5e6f7a8b9c0d"

// modelEnv points lore at the fake server. t.Setenv: not parallel.
func modelEnv(t *testing.T, srv *llmtest.Server, dims int) {
	t.Setenv("LORE_OPENAI_BASE_URL", srv.BaseURL())
	t.Setenv("LORE_OPENAI_API_KEY", modelKey)
	t.Setenv("LORE_CHAT_MODEL", "chat-model")
	t.Setenv("LORE_EMBEDDING_MODEL", "embed-model")
	t.Setenv("LORE_EMBEDDING_DIMENSIONS", fmt.Sprint(dims))
}

func noKey(t *testing.T, rs ...result) {
	t.Helper()
	for _, r := range rs {
		if strings.Contains(r.out+r.err, modelKey) || strings.Contains(r.out+r.err, "5e6f7a8b9c0d") {
			t.Errorf("the API key was printed:\n%s\n%s", r.out, r.err)
		}
	}
}

func TestAskAndReindexWithModels(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "lore.db")
	// Offline first: the hashed embedder's vectors.
	run(t, "ingest", "testdata/corpus", "--db", db).wantCode(t, 0)

	srv := llmtest.New(t)
	srv.Reply = func(r llmtest.ChatRequest) string {
		if strings.Contains(r.Messages[len(r.Messages)-1].Content, "27 days") {
			return "Full-time employees get 27 days of paid leave [1]."
		}
		return "NOT_IN_SOURCES"
	}
	modelEnv(t, srv, 8)

	doc := run(t, "doctor", "--db", db)
	doc.wantCode(t, 1)
	if !strings.Contains(doc.out, "FAIL  vectors: come from hashed-v1 (256 dimensions), not the configured openai:embed-model: run 'lore reindex'") {
		t.Errorf("doctor before the reindex:\n%s", doc.out)
	}
	// Until the reindex, answers come from the old vectors.
	ask := run(t, "ask", leaveQuestion, "--json", "--db", db)
	ask.wantCode(t, 0)
	var got struct {
		Answer    string
		Confident bool
		Citations []struct{ Source string }
	}
	if err := json.Unmarshal([]byte(ask.out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Answer != "Full-time employees get 27 days of paid leave [1]." || !got.Confident || len(got.Citations) != 1 || !strings.HasSuffix(got.Citations[0].Source, "leave.md") {
		t.Errorf("model answer %+v", got)
	}

	re := run(t, "reindex", "--db", db)
	re.wantCode(t, 0)
	if !strings.Contains(re.out, "from hashed-v1 (256 dimensions) to openai:embed-model (8 dimensions)") {
		t.Errorf("reindex said:\n%s%s", re.out, re.err)
	}
	again := run(t, "reindex", "--db", db)
	again.wantCode(t, 0)
	if !strings.Contains(again.out, "Up to date") {
		t.Errorf("second reindex said %q", again.out)
	}
	doc = run(t, "doctor", "--db", db)
	doc.wantCode(t, 0)
	for _, want := range []string{"ok    database", "ok    endpoint", "ok    chat model chat-model", "ok    embedding model embed-model: returns 8-dimension vectors", "ok    vectors: come from the configured embedder, openai:embed-model"} {
		if !strings.Contains(doc.out, want) {
			t.Errorf("doctor lacks %q:\n%s", want, doc.out)
		}
	}
	// A refusal is a gap: exit 3.
	run(t, "ask", "what is the capital of Mongolia?", "--db", db).wantCode(t, 3)
	noKey(t, doc, ask, re, again)
}

func TestDoctorSaysWhatIsWrong(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "lore.db")
	off := run(t, "doctor", "--db", db)
	off.wantCode(t, 0)
	if !strings.Contains(off.out, "none configured") {
		t.Errorf("offline doctor:\n%s", off.out)
	}

	srv := llmtest.New(t)
	modelEnv(t, srv, 8)
	srv.Fail("/models", llmtest.Fault{Status: 401})
	r := run(t, "doctor", "--db", db)
	r.wantCode(t, 1)
	if !strings.Contains(r.out, "refused the API key: check LORE_OPENAI_API_KEY") {
		t.Errorf("doctor with a rejected key:\n%s", r.out)
	}

	t.Setenv("LORE_EMBEDDING_DIMENSIONS", "16")
	srv.Fail("/chat/completions", llmtest.Fault{Status: 404})
	r2 := run(t, "doctor", "--db", db)
	r2.wantCode(t, 1)
	for _, want := range []string{"FAIL  chat model chat-model: the endpoint does not serve this model: check LORE_CHAT_MODEL",
		"FAIL  embedding model embed-model:", "got 8, configured 16 (LORE_EMBEDDING_DIMENSIONS)"} {
		if !strings.Contains(r2.out, want) {
			t.Errorf("doctor lacks %q:\n%s", want, r2.out)
		}
	}

	t.Setenv("LORE_OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	r3 := run(t, "doctor", "--db", db)
	r3.wantCode(t, 1)
	if !strings.Contains(r3.out, "cannot be reached") {
		t.Errorf("doctor with an unreachable endpoint:\n%s", r3.out)
	}
	noKey(t, off, r, r2, r3)
}

func TestModelSettingsErrors(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "lore.db")
	t.Setenv("LORE_OPENAI_API_KEY", modelKey)
	t.Setenv("LORE_EMBEDDING_MODEL", "embed-model")
	r := run(t, "ask", "hello there", "--db", db)
	r.wantCode(t, 2)
	if !strings.Contains(r.err, "needs its dimension (LORE_EMBEDDING_DIMENSIONS)") {
		t.Errorf("no dimension: %s", r.err)
	}
	t.Setenv("LORE_EMBEDDING_DIMENSIONS", "many")
	t.Setenv("LORE_OPENAI_BASE_URL", "ftp://example.com")
	r2 := run(t, "ask", "hello there", "--db", db)
	r2.wantCode(t, 2)
	if !strings.Contains(r2.err, `LORE_EMBEDDING_DIMENSIONS "many": want a positive whole number`) {
		t.Errorf("bad settings: %s", r2.err)
	}

	t.Setenv("LORE_EMBEDDING_DIMENSIONS", "8")
	r2b := run(t, "ask", "hello there", "--db", db)
	r2b.wantCode(t, 2)
	if !strings.Contains(r2b.err, "not an http(s) URL") {
		t.Errorf("bad endpoint: %s", r2b.err)
	}

	// The same settings from a config file, the key from a secret file; an
	// unknown key is refused, and so is a key written in the file.
	for _, k := range []string{"LORE_OPENAI_API_KEY", "LORE_EMBEDDING_MODEL", "LORE_EMBEDDING_DIMENSIONS", "LORE_OPENAI_BASE_URL"} {
		t.Setenv(k, "")
	}
	srv := llmtest.New(t)
	cfg := filepath.Join(t.TempDir(), "lore.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf("openai_base_url: %s\nembedding_model: embed-model\nembedding_dimensions: 8\n", srv.BaseURL()))
	keyFile := filepath.Join(t.TempDir(), "openai-key")
	if err := os.WriteFile(keyFile, []byte(modelKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LORE_OPENAI_API_KEY_FILE", keyFile)
	t.Setenv("LORE_CONFIG", cfg)
	r3 := run(t, "doctor", "--db", db)
	r3.wantCode(t, 0)
	if !strings.Contains(r3.out, "ok    embedding model embed-model: returns 8-dimension vectors") {
		t.Errorf("doctor from the config file:\n%s", r3.out)
	}
	if got := srv.Requests("/embeddings")[0].Authorization; got != "Bearer "+modelKey {
		t.Errorf("the key from the config file was not sent: %q", got)
	}
	write("chat_model: x\nopenai_api_key: " + modelKey + "\ntemperature: 2\n")
	r4 := run(t, "doctor", "--db", db)
	if r4.code != 2 || !strings.Contains(r4.err, "unknown key temperature") || !strings.Contains(r4.err, "openai_api_key is a secret") {
		t.Errorf("an unknown config key and a key in the file: %d\n%s%s", r4.code, r4.out, r4.err)
	}
	noKey(t, r, r2, r2b, r3, r4)
}

// A replica started with a new embedding model queues the reindex itself,
// and its workers carry it out; lore reindex --queue on top queues nothing
// more.
func TestServeReindexesAfterAModelChange(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "lore.db")
	db := "--db=sqlite:" + dbPath
	run(t, "ingest", "testdata/corpus", db).wantCode(t, 0)
	srv := llmtest.New(t)
	modelEnv(t, srv, 8)
	lore := startServe(t, db)
	waitFor(t, "the reindex job finishes", 30*time.Second, func() bool {
		return strings.Contains(run(t, "doctor", db).out, "ok    vectors: come from the configured embedder")
	})
	if !strings.Contains(lore.stderr.String(), "reindex queued") {
		t.Fatalf("serve did not say it queued the reindex:\n%s", lore.stderr)
	}
	r := run(t, "reindex", "--queue", db)
	r.wantCode(t, 0)
	if !strings.Contains(r.out, "Queued reindex job") && !strings.Contains(r.out, "already queued") {
		t.Fatalf("reindex --queue said %q", r.out)
	}
	lore.stop()
}

// TestDoctorShowsTheEndpointItCalls: a base URL given as the server's
// root is called at its /v1, which doctor shows, without the password a
// URL may carry.
func TestDoctorShowsTheEndpointItCalls(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "lore.db")
	srv := llmtest.New(t)
	modelEnv(t, srv, 8)
	t.Setenv("LORE_OPENAI_BASE_URL", strings.Replace(srv.URL, "http://", "http://lore:pass-9f8e7d6c@", 1))
	r := run(t, "doctor", "--db", db)
	r.wantCode(t, 0)
	if want := "ok    endpoint " + srv.URL + "/v1: reachable"; !strings.Contains(r.out, want) {
		t.Errorf("doctor lacks %q:\n%s", want, r.out)
	}
	if strings.Contains(r.out+r.err, "pass-9f8e7d6c") {
		t.Errorf("the URL's password was printed:\n%s%s", r.out, r.err)
	}
	for _, req := range srv.Requests("") {
		if !strings.HasPrefix(req.URLPath, "/v1/") {
			t.Errorf("called %s", req.URLPath)
		}
	}
}
