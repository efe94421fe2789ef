package ingest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// walkResult records what Walk reported, in order.
type walkResult struct {
	read    []string
	skipped []string
	reasons map[string]error
	data    map[string][]byte
}

func walk(t *testing.T, paths []string, opts WalkOptions) (walkResult, error) {
	t.Helper()
	r := walkResult{reasons: map[string]error{}, data: map[string][]byte{}}
	err := Walk(paths, opts, func(f File) error {
		r.read = append(r.read, filepath.ToSlash(f.Path))
		r.data[filepath.ToSlash(f.Path)] = f.Data
		return nil
	}, func(s Skipped) {
		r.skipped = append(r.skipped, filepath.ToSlash(s.Path))
		r.reasons[filepath.ToSlash(s.Path)] = s.Reason
	})
	return r, err
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalkFixtures(t *testing.T) {
	const root = "testdata/handbook"
	tests := []struct {
		name        string
		paths       []string
		wantRead    []string
		wantSkipped map[string]error
	}{
		{
			name:  "folder: nested, lexical, hidden entries passed over",
			paths: []string{root},
			wantRead: []string{
				root + "/it/vpn.html",
				root + "/leave/archive/sabbatical.markdown",
				root + "/leave/parental-leave.md",
				root + "/welcome.txt",
			},
			wantSkipped: map[string]error{root + "/it/inventory.csv": ErrUnsupported},
		},
		{
			name:        "files named directly, in the order given",
			paths:       []string{root + "/welcome.txt", root + "/it/inventory.csv", root + "/it/vpn.html"},
			wantRead:    []string{root + "/welcome.txt", root + "/it/vpn.html"},
			wantSkipped: map[string]error{root + "/it/inventory.csv": ErrUnsupported},
		},
		{
			name:        "a hidden folder named directly is walked",
			paths:       []string{root + "/.drafts"},
			wantRead:    []string{root + "/.drafts/unreleased.md"},
			wantSkipped: map[string]error{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := walk(t, tt.paths, WalkOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.read, tt.wantRead) {
				t.Errorf("read %q\nwant %q", got.read, tt.wantRead)
			}
			if len(got.reasons) != len(tt.wantSkipped) {
				t.Errorf("skipped %q, want %d files", got.skipped, len(tt.wantSkipped))
			}
			for path, want := range tt.wantSkipped {
				if !errors.Is(got.reasons[path], want) {
					t.Errorf("skip reason for %s = %v, want %v", path, got.reasons[path], want)
				}
			}
			for _, path := range got.read {
				disk, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.data[path], disk) {
					t.Errorf("data of %s differs from the file", path)
				}
			}
		})
	}
}

func TestWalkSkips(t *testing.T) {
	dir := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
	writeFile(t, filepath.Join(dir, "a-small.md"), []byte("# Small\n\nFits."))
	writeFile(t, filepath.Join(dir, "b-large.md"), bytes.Repeat([]byte("big "), 300)) // 1200 bytes
	writeFile(t, filepath.Join(dir, "c-image.md"), png)
	writeFile(t, filepath.Join(dir, "d-diagram.png"), png)
	writeFile(t, filepath.Join(dir, "e-Makefile"), []byte("all:\n"))

	got, err := walk(t, []string{dir}, WalkOptions{MaxFileBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.ToSlash(filepath.Join(dir, "a-small.md"))}; !reflect.DeepEqual(got.read, want) {
		t.Errorf("read %q, want %q", got.read, want)
	}
	wantSkipped := []struct {
		name   string
		reason error
	}{
		{"b-large.md", ErrTooLarge},
		{"c-image.md", ErrBinary},
		{"d-diagram.png", ErrUnsupported},
		{"e-Makefile", ErrUnsupported},
	}
	if len(got.skipped) != len(wantSkipped) {
		t.Fatalf("skipped %q, want %d files", got.skipped, len(wantSkipped))
	}
	for i, w := range wantSkipped {
		path := filepath.ToSlash(filepath.Join(dir, w.name))
		if got.skipped[i] != path {
			t.Errorf("skipped[%d] = %s, want %s", i, got.skipped[i], path)
		}
		if !errors.Is(got.reasons[path], w.reason) {
			t.Errorf("reason for %s = %v, want %v", w.name, got.reasons[path], w.reason)
		}
	}
}

func TestWalkDefaultSizeLimit(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.txt")
	exact := filepath.Join(dir, "exact.txt")
	writeFile(t, huge, nil)
	writeFile(t, exact, nil)
	// Sparse files: no 10 MiB written to disk. Zero bytes would read as
	// binary, so only the file at the limit is filled in at its start.
	if err := os.Truncate(huge, DefaultMaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(exact, DefaultMaxFileBytes); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(exact, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bytes.Repeat([]byte("text "), sniffLen/5+1)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	got, err := walk(t, []string{huge, exact}, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got.reasons[filepath.ToSlash(huge)], ErrTooLarge) {
		t.Errorf("file over 10 MiB: reason %v, want ErrTooLarge", got.reasons[filepath.ToSlash(huge)])
	}
	if len(got.read) != 1 || len(got.data[filepath.ToSlash(exact)]) != DefaultMaxFileBytes {
		t.Errorf("file of exactly 10 MiB not read whole: read %q", got.read)
	}
}

func TestWalkMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	calls := 0
	err := Walk([]string{"testdata/handbook", missing}, WalkOptions{},
		func(File) error { calls++; return nil },
		func(Skipped) { calls++ })
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want one wrapping fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name %s", err, missing)
	}
	if calls != 0 {
		t.Errorf("callbacks ran %d times before the missing path was reported", calls)
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var read []string
	err := Walk([]string{"testdata/handbook"}, WalkOptions{}, func(f File) error {
		read = append(read, f.Path)
		return stop
	}, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if len(read) != 1 {
		t.Errorf("read %d files after the callback failed, want 1", len(read))
	}
}

func TestWalkFollowsFileLinksOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "docs", "page.md"), []byte("page"))
	if err := os.Symlink(filepath.Join(dir, "docs", "page.md"), filepath.Join(dir, "link.md")); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	target := filepath.Join(t.TempDir(), "target")
	writeFile(t, filepath.Join(target, "inner.md"), []byte("inner"))
	if err := os.Symlink(target, filepath.Join(dir, "folder.md")); err != nil {
		t.Fatal(err)
	}
	got, err := walk(t, []string{dir}, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.ToSlash(filepath.Join(dir, "link.md"))
	page := filepath.ToSlash(filepath.Join(dir, "docs", "page.md"))
	if !reflect.DeepEqual(got.read, []string{page, link}) || string(got.data[link]) != "page" {
		t.Errorf("read %q, want %s and %s with the target's text", got.read, page, link)
	}
	folder := filepath.ToSlash(filepath.Join(dir, "folder.md"))
	if !errors.Is(got.reasons[folder], ErrUnsupported) {
		t.Errorf("link to a folder: reason %v, want ErrUnsupported", got.reasons[folder])
	}
}

// A link inside a walked folder to a file elsewhere on the machine put
// that file into answers: anyone who could write to a synced folder could
// link docs/key.md to a secret the Lore process can read. Such links are
// skipped, however they lead out (absolute, relative, or through another
// link); a file named directly is still read wherever it lives.
func TestWalkSkipsFileLinksLeavingTheFolder(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.md")
	writeFile(t, secret, []byte("api key sk-123"))
	dir := filepath.Join(t.TempDir(), "docs")
	writeFile(t, filepath.Join(dir, "ok.md"), []byte("fine"))
	links := map[string]string{
		"absolute.md":  secret,
		"relative.md":  filepath.Join("..", "..", filepath.Base(outside), "secret.md"),
		"hop.md":       "absolute.md", // a link inside to a link leading out
		"sub/deep.txt": secret,
	}
	for name, to := range links {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Skipf("symbolic links unavailable: %v", err)
		}
	}
	for _, root := range []string{dir, linkTo(t, dir)} {
		got, err := walk(t, []string{root}, WalkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{filepath.ToSlash(filepath.Join(root, "ok.md"))}; !reflect.DeepEqual(got.read, want) {
			t.Errorf("walking %s read %q, want only %q", root, got.read, want)
		}
		for name := range links {
			p := filepath.ToSlash(filepath.Join(root, name))
			if r := got.reasons[p]; !errors.Is(r, ErrUnsupported) || !strings.Contains(r.Error(), "outside the folder") {
				t.Errorf("%s: reason %v, want a link leading outside the folder", name, r)
			}
		}
	}
	// Named directly, a link is what the operator asked for.
	got, err := walk(t, []string{filepath.Join(dir, "absolute.md")}, WalkOptions{})
	if err != nil || len(got.read) != 1 {
		t.Errorf("a link named directly: read %q, err %v, want it read", got.read, err)
	}
}

// linkTo makes a link to dir in a folder of its own and returns it.
func linkTo(t *testing.T, dir string) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "via-link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// A folder given as a link was not walked at all (filepath.WalkDir does
// not descend into a root that is a link), so nothing loaded and a prune
// emptied it.
func TestWalkFollowsARootLinkToAFolder(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real")
	writeFile(t, filepath.Join(real, "a.md"), []byte("# A"))
	writeFile(t, filepath.Join(real, "sub", "b.txt"), []byte("B"))
	links := t.TempDir()
	link := filepath.Join(links, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	// A link inside the tree back to its top: not followed, no loop.
	if err := os.Symlink(real, filepath.Join(real, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	got, err := walk(t, []string{link}, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.ToSlash(filepath.Join(link, "a.md")), filepath.ToSlash(filepath.Join(link, "sub", "b.txt"))}
	if !reflect.DeepEqual(got.read, want) {
		t.Errorf("read %q, want %q (named under the link)", got.read, want)
	}
	loop := filepath.ToSlash(filepath.Join(link, "sub", "loop"))
	if !reflect.DeepEqual(got.skipped, []string{loop}) || !errors.Is(got.reasons[loop], ErrUnsupported) {
		t.Errorf("skipped %q (%v), want only the inner link to a folder", got.skipped, got.reasons)
	}
}

// One bad entry used to end the whole walk with its error: a link to
// nothing, or a file deleted while the walk ran.
func TestWalkSkipsWhatCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), []byte("A"))
	writeFile(t, filepath.Join(dir, "c-vanishes.md"), []byte("C"))
	writeFile(t, filepath.Join(dir, "d.md"), []byte("D"))
	if err := os.Symlink(filepath.Join(dir, "no-such-file.md"), filepath.Join(dir, "b-dangling.md")); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	var read []string
	skipped := map[string]error{}
	err := Walk([]string{dir}, WalkOptions{}, func(f File) error {
		read = append(read, filepath.Base(f.Path))
		if filepath.Base(f.Path) == "a.md" {
			// Deleted after the folder was listed.
			return os.Remove(filepath.Join(dir, "c-vanishes.md"))
		}
		return nil
	}, func(s Skipped) { skipped[filepath.Base(s.Path)] = s.Reason })
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if want := []string{"a.md", "d.md"}; !reflect.DeepEqual(read, want) {
		t.Errorf("read %q, want %q", read, want)
	}
	for _, name := range []string{"b-dangling.md", "c-vanishes.md"} {
		if err := skipped[name]; !errors.Is(err, ErrUnreadable) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: reason %v, want ErrUnreadable wrapping fs.ErrNotExist", name, err)
		}
	}
	if !strings.Contains(skipped["b-dangling.md"].Error(), "link to nothing") {
		t.Errorf("dangling link reported as %q", skipped["b-dangling.md"])
	}
}

// failOpen makes openFile fail with EACCES for paths ending in suffix, as
// a file without read permission does for anyone but root.
func failOpen(t *testing.T, suffix string) {
	real := openFile
	openFile = func(path string) (io.ReadCloser, error) {
		if strings.HasSuffix(filepath.ToSlash(path), suffix) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}
		}
		return real(path)
	}
	t.Cleanup(func() { openFile = real })
}

func TestWalkSkipsUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), []byte("A"))
	writeFile(t, filepath.Join(dir, "b-locked.md"), []byte("B"))
	failOpen(t, "/b-locked.md")
	got, err := walk(t, []string{dir}, WalkOptions{})
	if err != nil {
		t.Fatalf("one unreadable file ended the walk: %v", err)
	}
	locked := filepath.ToSlash(filepath.Join(dir, "b-locked.md"))
	if len(got.read) != 1 || !errors.Is(got.reasons[locked], ErrUnreadable) || !errors.Is(got.reasons[locked], fs.ErrPermission) {
		t.Errorf("read %q, reason for the locked file %v", got.read, got.reasons[locked])
	}
}

func TestWalkSkipsUnreadableFolders(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads any folder whatever its permissions")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.md"), []byte("A"))
	writeFile(t, filepath.Join(dir, "locked", "b.md"), []byte("B"))
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	got, err := walk(t, []string{dir}, WalkOptions{})
	if err != nil {
		t.Fatalf("an unreadable folder ended the walk: %v", err)
	}
	locked := filepath.ToSlash(filepath.Join(dir, "locked"))
	if len(got.read) != 1 || !errors.Is(got.reasons[locked], fs.ErrPermission) {
		t.Errorf("read %q, reason for the locked folder %v", got.read, got.reasons[locked])
	}
}

// An unreadable path given was reported as missing.
func TestCheckPathsTellsMissingFromUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "locked.md"), []byte("L"))
	failOpen(t, "/locked.md")
	err := CheckPaths([]string{filepath.Join(dir, "locked.md")})
	if !errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("unreadable: %v, want permission denied", err)
	}
	err = CheckPaths([]string{filepath.Join(dir, "missing.md")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v, want fs.ErrNotExist", err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling")); err == nil {
		if err := CheckPaths([]string{filepath.Join(dir, "dangling")}); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a link to nothing: %v, want fs.ErrNotExist", err)
		}
	}
}
