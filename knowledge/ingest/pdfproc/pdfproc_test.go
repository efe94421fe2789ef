package pdfproc

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge/ingest"
)

// testModeEnv makes a child misbehave, as a parse the PDF library never
// returns from would.
const testModeEnv = "PDFPROC_TEST_MODE"

// TestMain lets this test binary serve as the Reader's child.
func TestMain(m *testing.M) {
	if IsChild() {
		switch os.Getenv(testModeEnv) {
		case "spin":
			for { // a runaway parse: all CPU, no end
			}
		case "die":
			os.Stderr.WriteString("fatal error: stack overflow\n\nruntime stack:\n")
			os.Exit(2)
		case "env":
			// The exit status tells how many variables the child saw.
			os.Exit(10 + len(os.Environ()))
		}
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

func testReader(t *testing.T, env ...string) *Reader {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r.Env = env
	return r
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/sources/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestReadPDFMatchesParsePDF(t *testing.T) {
	data := readFile(t, "handbook.pdf")
	opts := ingest.Options{MaxChunkChars: 300}
	want, err := ingest.ParsePDF("handbook.pdf", data, opts)
	if err != nil || len(want.Chunks) == 0 {
		t.Fatalf("in process: %d chunks, %v", len(want.Chunks), err)
	}
	got, err := testReader(t).ReadPDF(context.Background(), "handbook.pdf", data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("child read\n%+v\nin process\n%+v", got, want)
	}
}

func TestReadPDFKeepsTheErrorsKind(t *testing.T) {
	r := testReader(t)
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"scan.pdf", readFile(t, "scan.pdf"), ingest.ErrNoText},
		{"notes.pdf", []byte("plain words, not a PDF"), ingest.ErrMalformed},
		{"hex-loop.pdf", readFile(t, "hex-loop.pdf"), ingest.ErrMalformed},
	} {
		_, err := r.ReadPDF(context.Background(), c.name, c.data, ingest.Options{})
		_, inProcess := ingest.ParsePDF(c.name, c.data, ingest.Options{})
		if !errors.Is(err, c.want) || err == nil || err.Error() != inProcess.Error() {
			t.Errorf("%s: %v, want %v wrapping %v", c.name, err, inProcess, c.want)
		}
	}
}

// A parse that never returns is stopped at the timeout, and its process
// is gone, not left spinning.
func TestReadPDFKillsARunawayParse(t *testing.T) {
	r := testReader(t, testModeEnv+"=spin")
	r.Timeout = 300 * time.Millisecond
	var pid int
	r.started = func(p int) { pid = p }
	_, err := r.ReadPDF(context.Background(), "runaway.pdf", readFile(t, "handbook.pdf"), ingest.Options{})
	if !errors.Is(err, ingest.ErrTooSlow) || !strings.Contains(err.Error(), "runaway.pdf") {
		t.Fatalf("err = %v, want ErrTooSlow naming the file", err)
	}
	if pid == 0 {
		t.Fatal("no child was started")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("child %d still exists after the timeout (kill 0: %v)", pid, err)
	}
}

func TestReadPDFStopsWhenTheCallerGivesUp(t *testing.T) {
	r := testReader(t, testModeEnv+"=spin")
	cause := errors.New("sync lock lost")
	ctx, cancel := context.WithCancelCause(context.Background())
	var pid int
	r.started = func(p int) {
		pid = p
		time.AfterFunc(100*time.Millisecond, func() { cancel(cause) })
	}
	_, err := r.ReadPDF(ctx, "runaway.pdf", readFile(t, "handbook.pdf"), ingest.Options{})
	if !errors.Is(err, cause) {
		t.Fatalf("err = %v, want the context's cause", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("child %d still exists after the caller gave up (kill 0: %v)", pid, err)
	}
}

func TestReadPDFReportsADeadChild(t *testing.T) {
	_, err := testReader(t, testModeEnv+"=die").ReadPDF(context.Background(), "crash.pdf", readFile(t, "handbook.pdf"), ingest.Options{})
	if !errors.Is(err, ingest.ErrMalformed) || !strings.Contains(err.Error(), "crash.pdf") ||
		!strings.Contains(err.Error(), "fatal error: stack overflow") || strings.Contains(err.Error(), "runtime stack") {
		t.Errorf("err = %v, want a malformed document naming the file and the child's first line only", err)
	}
}

// The child sees none of the parent's environment: no tokens, no
// database address.
func TestChildGetsNoEnvironment(t *testing.T) {
	t.Setenv("LORE_SLACK_BOT_TOKEN", "xoxb-secret")
	_, err := testReader(t, testModeEnv+"=env").ReadPDF(context.Background(), "env.pdf", []byte("%PDF-1.4"), ingest.Options{})
	// Two variables: the child's marker and the test mode.
	if err == nil || !strings.Contains(err.Error(), "exit status 12") {
		t.Errorf("err = %v, want the child to have seen exactly 2 variables (exit status 12)", err)
	}
}

func TestReadPDFWithoutAnExecutable(t *testing.T) {
	r := &Reader{Path: t.TempDir() + "/missing-lore"}
	_, err := r.ReadPDF(context.Background(), "a.pdf", []byte("%PDF-1.4"), ingest.Options{})
	if err == nil || !strings.Contains(err.Error(), "start the pdf reader") {
		t.Errorf("err = %v, want a failure to start the reader", err)
	}
}

// Parse and ParseContext hand PDFs to Options.PDF.
func TestIngestUsesTheReader(t *testing.T) {
	r := testReader(t, testModeEnv+"=spin")
	r.Timeout = 200 * time.Millisecond
	opts := ingest.Options{PDF: r}
	data := readFile(t, "handbook.pdf")
	if _, err := ingest.ParseContext(context.Background(), "dir/h.PDF", data, opts); !errors.Is(err, ingest.ErrTooSlow) {
		t.Errorf("ParseContext: %v, want the reader's timeout", err)
	}
	if _, err := ingest.Parse("h.pdf", data, opts); !errors.Is(err, ingest.ErrTooSlow) {
		t.Errorf("Parse: %v, want the reader's timeout", err)
	}
	if p, err := ingest.ParseContext(context.Background(), "notes.md", []byte("# Notes\n\nText of the notes."), opts); err != nil || len(p.Chunks) != 1 {
		t.Errorf("a Markdown file: %+v, %v; want it read in process", p, err)
	}
}

// The cost of a child per PDF, against parsing in this process:
// go test ./knowledge/ingest/pdfproc -bench ReadPDF
func BenchmarkReadPDF(b *testing.B) {
	data, err := os.ReadFile("../testdata/sources/handbook.pdf")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := ingest.ParsePDF("handbook.pdf", data, ingest.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("child", func(b *testing.B) {
		r, err := New()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := r.ReadPDF(context.Background(), "handbook.pdf", data, ingest.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
