package cli_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// Ctrl-C or SIGTERM during an ingest stops it with the signal's exit
// status (130, 143), saying how many documents it stored before the stop
// (each whole) and that running it again finishes; the re-run does.
func TestSignalledIngestSaysWhatItDidAndResumes(t *testing.T) {
	const files = 600
	dir := writeReports(t, files)
	db := newDB(t)
	stored := 0
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{
		{syscall.SIGINT, cli.ExitInterrupted, "Ctrl-C (SIGINT)"},
		{syscall.SIGTERM, 143, "SIGTERM"},
	} {
		before := stored
		cmd := exec.Command(os.Args[0], "ingest", dir, db.flag())
		cmd.Env = append(os.Environ(), "LORE_TEST_AS_CLI=1")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(60 * time.Second)
		for n := countRows(t, db.path, "documents"); n < before+20; n = countRows(t, db.path, "documents") {
			select {
			case err := <-exited:
				t.Fatalf("the ingest ended (%v) before it could be signalled:\n%s", err, errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatal("the ingest never stored a document")
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Signal(c.sig); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		var err error
		select {
		case err = <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("the ingest was still running 10 s after %v", c.sig)
		}
		if took := time.Since(sent); took > 2*time.Second {
			t.Errorf("the ingest took %v to stop after %v", took, c.sig)
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != c.code {
			t.Fatalf("after %v: %v, want exit status %d\nstderr:\n%s", c.sig, err, c.code, errOut.String())
		}
		stored = countRows(t, db.path, "documents")
		if stored <= before || stored >= files {
			t.Fatalf("after %v, %d of %d documents are stored; want part of them", c.sig, stored, files)
		}
		m := regexp.MustCompile(`^lore: stopped by (.+) before it finished: (\d+) added, 0 updated, (\d+) unchanged and 0 skipped before the stop, each document stored whole; the rest was not read\. Run the same command again to finish\.\n$`).FindStringSubmatch(errOut.String())
		if m == nil {
			t.Fatalf("after %v, stderr does not say what was done:\n%s", c.sig, errOut.String())
		}
		added, _ := strconv.Atoi(m[2])
		unchanged, _ := strconv.Atoi(m[3])
		if m[1] != c.name || added != stored-before || unchanged != before {
			t.Errorf("after %v, stderr says %q: %d added, %d unchanged; want %q, %d added, %d unchanged", c.sig, m[1], added, unchanged, c.name, stored-before, before)
		}
		if out.Len() != 0 {
			t.Errorf("after %v, stdout holds %q", c.sig, out.String())
		}
	}
	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	checkResumed(t, r, files, stored)
}

// A long command stopped by a signal names what it had done, with the
// signal's exit status, instead of a bare "context canceled".
func TestSignalledCommandsSayWhatWasDone(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	b := writeBEIR(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"eval"}, b.flags()...), "nothing was measured, and its temporary store is removed"},
		{[]string{"bench", "--chunks", "100"}, "nothing was measured, and its temporary store is removed"},
		{[]string{"retention", "--keep", "7d", db.flag()}, "no event was folded or deleted"},
		{[]string{"migrate", db.flag()}, "Run 'lore migrate' again to finish"},
		{[]string{"export", "statements", "--since", "2020-01-01", db.flag()}, "the output is incomplete: it holds the first 0 statements"},
	} {
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(&cli.StopSignal{Signal: syscall.SIGTERM})
		var out, errOut bytes.Buffer
		code := cli.Run(ctx, c.args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
		if code != 143 {
			t.Errorf("lore %s after SIGTERM: exit status %d, want 143\n%s", strings.Join(c.args, " "), code, errOut.String())
		}
		if !strings.HasPrefix(errOut.String(), "lore: stopped by SIGTERM before it finished: ") || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("lore %s after SIGTERM: stderr does not say %q:\n%s", strings.Join(c.args, " "), c.want, errOut.String())
		}
	}
}

// A second Ctrl-C or SIGTERM while lore serve waits for a job in flight
// to finish (a page that never arrives, here) exits at once with the
// second signal's status, saying in one line that the stop was forced.
func TestSecondSignalForcesTheExit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		first, second syscall.Signal
		code          int
		name          string
	}{
		{syscall.SIGINT, syscall.SIGINT, cli.ExitInterrupted, "Ctrl-C (SIGINT)"},
		{syscall.SIGTERM, syscall.SIGTERM, 143, "SIGTERM"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fetching, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/robots.txt") {
					http.NotFound(w, r)
					return
				}
				once.Do(func() { close(fetching) })
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer upstream.Close()
			defer close(release) // before Close, which waits for the handlers
			db := newDB(t)
			db.run(t, "sources", "add", "slow", upstream.URL+"/page", "--kind", "url", "--every", "1h").wantCode(t, cli.ExitOK)
			cmd := exec.Command(os.Args[0], "serve", "--listen=127.0.0.1:0", db.flag())
			cmd.Env = append(os.Environ(), "LORE_TEST_AS_CLI=1", "LORE_FETCH_ALLOW=127.0.0.1")
			var errOut syncBuffer
			cmd.Stderr = &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() { _ = cmd.Process.Kill() }()
			select {
			case <-fetching:
			case err := <-exited:
				t.Fatalf("lore serve ended (%v) before its sync job fetched the page:\n%s", err, errOut.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("lore serve's sync job did not fetch the page within 30 s:\n%s", errOut.String())
			}
			if err := cmd.Process.Signal(c.first); err != nil {
				t.Fatal(err)
			}
			// The job in flight holds the stop for up to 30 s.
			select {
			case err := <-exited:
				t.Fatalf("lore serve ended (%v) at once on the first %v; the test needs a stop that waits:\n%s", err, c.first, errOut.String())
			case <-time.After(time.Second):
			}
			if err := cmd.Process.Signal(c.second); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			var err error
			select {
			case err = <-exited:
			case <-time.After(10 * time.Second):
				t.Fatalf("lore serve was still running 10 s after a second %v:\n%s", c.second, errOut.String())
			}
			if took := time.Since(sent); took > 2*time.Second {
				t.Errorf("lore serve took %v to exit after the second %v", took, c.second)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != c.code {
				t.Errorf("after a second %v: %v, want exit status %d\nstderr:\n%s", c.second, err, c.code, errOut.String())
			}
			want := "lore: " + c.name + " during the stop: forced to exit without finishing it.\n"
			if n := strings.Count(errOut.String(), want); n != 1 {
				t.Errorf("stderr says %q %d times, want once:\n%s", want, n, errOut.String())
			}
		})
	}
}
