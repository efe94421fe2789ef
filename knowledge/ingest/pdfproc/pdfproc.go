// Package pdfproc reads PDFs in a child process of Lore's own binary.
//
// The PDF library Lore uses has looped forever and swollen on inputs that
// fuzzing found (those are now refused before it sees them, see
// ingest.ParsePDF), and could on others no bound foresaw. Go cannot stop a
// goroutine, so in the server such a parse could only be abandoned, still
// using a core until the process ends, and a source that keeps the file
// would add one more at each sync. A child process can be killed: Reader
// starts one per PDF, gives it the file on its standard input, reads the
// parsed document from its standard output, and kills it when the parse
// runs past its time or the caller gives up.
//
// The child is Lore's own executable started with an environment
// variable that makes it a reader (IsChild, Main), so nothing else needs
// installing. It is given no other environment: tokens and database
// addresses stay out of the process that reads untrusted files.
package pdfproc

import (
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/lorehq/lore/knowledge/ingest"
)

// childEnv is the environment variable that makes Lore's binary a reader.
const childEnv = "LORE_PDF_READER_CHILD"

// DefaultTimeout bounds one PDF's parse. The largest PDF Lore reads
// (10 MiB, 5,000 pages) parses in seconds; a minute is a runaway.
const DefaultTimeout = time.Minute

// Limits of what crosses the pipes: a request holds a file of at most the
// 10 MiB ingest reads, with room; a parsed document's text is smaller
// than its PDF's inflated pages, which ParsePDF bounds at 16 MiB.
const (
	maxRequestBytes  = 64 << 20
	maxResponseBytes = 64 << 20
)

// Reader reads PDFs in child processes. The zero value is not usable;
// New returns one that starts the running executable.
type Reader struct {
	// Path is the executable to start as the child; it must call Main
	// when IsChild reports true.
	Path string
	// Env is added to the child's otherwise empty environment.
	Env []string
	// Timeout bounds one parse; default DefaultTimeout.
	Timeout time.Duration

	// started, when set, is told each child's process id (tests).
	started func(pid int)
}

// New returns a Reader whose children run the current executable.
func New() (*Reader, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("pdf reader: find Lore's executable: %w", err)
	}
	return &Reader{Path: exe}, nil
}

// request is what the parent sends a child, response what it sends back.
type request struct {
	Name                         string
	Data                         []byte
	MaxChunkChars, MinChunkChars int
}

type response struct {
	Parsed ingest.Parsed
	// Err is the parse's error message, and Kind names the sentinel it
	// wraps (see kinds), so that errors.Is works across the pipe.
	Err, Kind string
}

// kinds are the sentinels a parse error may wrap.
var kinds = map[string]error{
	"malformed":   ingest.ErrMalformed,
	"no-text":     ingest.ErrNoText,
	"too-large":   ingest.ErrTooLarge,
	"binary":      ingest.ErrBinary,
	"unsupported": ingest.ErrUnsupported,
}

// ReadPDF implements ingest.PDFReader: it parses data as ingest.ParsePDF
// would, in a child process. A parse past the Reader's timeout fails with
// ingest.ErrTooSlow, and a child that dies with ingest.ErrMalformed, both
// naming the file; when ctx ends first, the child is killed and ctx's
// cause returned.
func (r *Reader) ReadPDF(ctx context.Context, name string, data []byte, opts ingest.Options) (ingest.Parsed, error) {
	if ctx.Err() != nil {
		return ingest.Parsed{}, context.Cause(ctx)
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(request{Name: name, Data: data,
		MaxChunkChars: opts.MaxChunkChars, MinChunkChars: opts.MinChunkChars}); err != nil {
		return ingest.Parsed{}, fmt.Errorf("%s: pdf reader: %w", name, err)
	}
	timeout := cmp.Or(r.Timeout, DefaultTimeout)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(pctx, r.Path)
	cmd.Env = append([]string{childEnv + "=1"}, r.Env...)
	cmd.Stdin = &in
	out := &capped{max: maxResponseBytes}
	cmd.Stdout = out
	errs := &capped{max: 4 << 10}
	cmd.Stderr = errs
	cmd.WaitDelay = 5 * time.Second // the pipes close even if something inherited them
	if err := cmd.Start(); err != nil {
		return ingest.Parsed{}, fmt.Errorf("%s: start the pdf reader %s: %w", name, r.Path, err)
	}
	if r.started != nil {
		r.started(cmd.Process.Pid)
	}
	err := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return ingest.Parsed{}, context.Cause(ctx)
	case pctx.Err() != nil:
		return ingest.Parsed{}, fmt.Errorf("%s: %w: its parse ran over %s and was stopped", name, ingest.ErrTooSlow, timeout)
	case err != nil:
		return ingest.Parsed{}, fmt.Errorf("%s: %w: the pdf reader failed (%v)%s", name, ingest.ErrMalformed, err, firstLine(errs.Bytes()))
	case out.over:
		return ingest.Parsed{}, fmt.Errorf("%s: %w: its text is over %d MiB", name, ingest.ErrTooLarge, maxResponseBytes>>20)
	}
	var resp response
	if err := gob.NewDecoder(bytes.NewReader(out.Bytes())).Decode(&resp); err != nil {
		return ingest.Parsed{}, fmt.Errorf("%s: %w: the pdf reader's answer is unreadable: %v", name, ingest.ErrMalformed, err)
	}
	if resp.Err != "" {
		return ingest.Parsed{}, childError{msg: resp.Err, kind: kinds[resp.Kind]}
	}
	return resp.Parsed, nil
}

// childError is a parse error carried back from a child: its message,
// wrapping the sentinel it wrapped there.
type childError struct {
	msg  string
	kind error
}

func (e childError) Error() string { return e.msg }
func (e childError) Unwrap() error { return e.kind }

// IsChild reports whether this process was started by a Reader; if so,
// the program's main must call Main and exit with its code before doing
// anything else.
func IsChild() bool { return os.Getenv(childEnv) == "1" }

// Main serves one request on standard input and output, and returns the
// process's exit code.
func Main() int {
	if err := Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pdf reader:", err)
		return 1
	}
	return 0
}

// Serve reads one request from in, parses it with ingest.ParsePDF and
// writes the response to out. A parse error is a response, not an error
// of Serve's.
func Serve(in io.Reader, out io.Writer) error {
	var req request
	if err := gob.NewDecoder(io.LimitReader(in, maxRequestBytes)).Decode(&req); err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	parsed, err := ingest.ParsePDF(req.Name, req.Data, ingest.Options{MaxChunkChars: req.MaxChunkChars, MinChunkChars: req.MinChunkChars})
	resp := response{Parsed: parsed}
	if err != nil {
		resp = response{Err: err.Error(), Kind: kindOf(err)}
	}
	return gob.NewEncoder(out).Encode(resp)
}

func kindOf(err error) string {
	for name, sentinel := range kinds {
		if errors.Is(err, sentinel) {
			return name
		}
	}
	return ""
}

// firstLine is the first line a failed child wrote on its standard
// error (a Go runtime's "fatal error: ..."), as a clause of a message.
func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if line == "" {
		return ""
	}
	return ": " + strings.ToValidUTF8(line[:min(len(line), 200)], "")
}

// capped is a buffer that keeps at most max bytes and notes whether more
// came; a child cannot make the parent hold more than that.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
