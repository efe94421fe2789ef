package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxFileBytes is the default size limit of a file Walk reads. A
// curated document over 10 MiB is almost surely an export or a dump, not
// something to answer questions from.
const DefaultMaxFileBytes = 10 << 20

// File is one file found under the paths given to Walk.
type File struct {
	// Path is the file's path: a path given to Walk, or one joined from
	// a given folder and the names below it.
	Path string
	Data []byte
}

// Skipped explains why a file under the walked paths was not read.
type Skipped struct {
	Path string
	// Reason wraps ErrBinary, ErrTooLarge, ErrUnsupported or
	// ErrUnreadable.
	Reason error
}

// WalkOptions tunes Walk.
type WalkOptions struct {
	// MaxFileBytes is the size above which a file is skipped with
	// ErrTooLarge. Zero or less means DefaultMaxFileBytes.
	MaxFileBytes int64
}

// CheckPaths checks that every path names something Walk can read: a
// path that does not exist (or a link to nothing) returns an error
// wrapping fs.ErrNotExist, one that cannot be opened an error wrapping
// fs.ErrPermission; both name the path.
func CheckPaths(paths []string) error {
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			// os.Stat's *PathError names the path and wraps the cause.
			return fmt.Errorf("ingest: %w", err)
		}
		if !info.IsDir() && !info.Mode().IsRegular() {
			continue // skipped by Walk; opening a pipe would block
		}
		f, err := openFile(p)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		f.Close()
	}
	return nil
}

// Walk visits every supported file under paths, which may name files or
// folders. Folders are walked recursively in lexical order; hidden files
// and folders (names starting with ".", such as .git) are passed over
// silently. fn is called for each file read; skip, if not nil, for each
// file left out: binary content, over the size limit, an unsupported
// extension, or unreadable (ErrUnreadable: it vanished during the walk,
// is a link to nothing, or access is denied), whether inside a folder or
// named directly. A folder that cannot be listed is skipped the same way,
// with what it holds.
//
// Symbolic links: a path given to Walk that is a link to a folder is
// walked as that folder, its files named under the link; a path given
// that is a link to a file is read as the file. Inside a walked folder,
// links to files are read as the files when the files are inside that
// folder too; links that lead out of it, and links to folders, are
// reported as skipped and never followed, so a walk cannot loop, nor can
// a link planted in a shared folder (docs/key.md -> /run/secrets/api-key)
// put a file from elsewhere on the machine into answers.
//
// Every path is checked (CheckPaths) before any is walked, so a mistyped
// path fails fast, before any call of fn. An error from fn stops the walk
// and is returned as it is.
func Walk(paths []string, opts WalkOptions, fn func(File) error, skip func(Skipped)) error {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if skip == nil {
		skip = func(Skipped) {}
	}
	if err := CheckPaths(paths); err != nil {
		return err
	}
	w := walker{opts: opts, fn: fn, skip: skip}
	for _, p := range paths {
		if err := w.root(p); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	opts WalkOptions
	fn   func(File) error
	skip func(Skipped)
}

// root walks one path given to Walk. A folder named explicitly is walked
// even when its own name is hidden: it was asked for.
func (w walker) root(p string) error {
	info, err := os.Stat(p)
	if err != nil {
		// Checked before the walk; gone since.
		w.skip(Skipped{Path: p, Reason: unreadable(err)})
		return nil
	}
	if !info.IsDir() {
		return w.file(p, info)
	}
	// filepath.WalkDir does not descend into a root that is a link, so a
	// link is resolved first and the files named under it.
	dir := p
	if li, err := os.Lstat(p); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if dir, err = filepath.EvalSymlinks(p); err != nil {
			w.skip(Skipped{Path: p, Reason: unreadable(err)})
			return nil
		}
	}
	// The folder's real location, against which links inside it are
	// checked.
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.skip(Skipped{Path: p, Reason: unreadable(err)})
		return nil
	}
	named := func(path string) string {
		if dir == p {
			return path
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return path
		}
		return filepath.Join(p, rel)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A folder that could not be listed (or an entry gone
			// before it was looked at): skipped, the walk goes on.
			w.skip(Skipped{Path: named(path), Reason: unreadable(err)})
			if d != nil && d.IsDir() && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		path = named(path)
		if d.Type()&fs.ModeSymlink != 0 {
			// Stat follows the link: a link to a file is read as the
			// file. Links to folders are not followed, which keeps the
			// walk free of cycles.
			info, err := os.Stat(path)
			if err != nil {
				w.skip(Skipped{Path: path, Reason: brokenLink(err)})
				return nil
			}
			if info.IsDir() {
				w.skip(Skipped{Path: path, Reason: fmt.Errorf("%w: link to a folder (not followed)", ErrUnsupported)})
				return nil
			}
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				w.skip(Skipped{Path: path, Reason: brokenLink(err)})
				return nil
			}
			if !within(realDir, target) {
				w.skip(Skipped{Path: path, Reason: fmt.Errorf("%w: link to a file outside the folder (not followed)", ErrUnsupported)})
				return nil
			}
			// Read what was checked, not the link again, which may
			// have been changed since.
			return w.fileFrom(path, target, info)
		}
		if !Supported(path) {
			// Checked before Stat so an unsupported entry costs no
			// system call and is reported whatever it is.
			w.skip(Skipped{Path: path, Reason: unsupported(path)})
			return nil
		}
		info, err := os.Stat(path)
		if err != nil {
			w.skip(Skipped{Path: path, Reason: unreadable(err)})
			return nil
		}
		return w.file(path, info)
	})
}

// within reports whether path is dir or lies below it; both are real
// paths (links resolved).
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// file reads one regular file, or reports why it was skipped.
func (w walker) file(path string, info fs.FileInfo) error {
	return w.fileFrom(path, path, info)
}

// fileFrom reads the file at from, reported as path.
func (w walker) fileFrom(path, from string, info fs.FileInfo) error {
	if !Supported(path) {
		w.skip(Skipped{Path: path, Reason: unsupported(path)})
		return nil
	}
	if !info.Mode().IsRegular() {
		w.skip(Skipped{Path: path, Reason: fmt.Errorf("%w: not a regular file", ErrUnsupported)})
		return nil
	}
	if info.Size() > w.opts.MaxFileBytes {
		w.skip(Skipped{Path: path, Reason: tooLarge(info.Size(), w.opts.MaxFileBytes)})
		return nil
	}
	data, err := readAtMost(from, w.opts.MaxFileBytes)
	if err != nil {
		w.skip(Skipped{Path: path, Reason: unreadable(err)})
		return nil
	}
	if int64(len(data)) > w.opts.MaxFileBytes {
		// The file grew after it was listed.
		w.skip(Skipped{Path: path, Reason: tooLarge(int64(len(data)), w.opts.MaxFileBytes)})
		return nil
	}
	// A UTF-16 file is text: its byte order mark says so.
	if formatOf(path) != FormatPDF && isBinary(decodeText(data, "", false)) {
		w.skip(Skipped{Path: path, Reason: ErrBinary})
		return nil
	}
	return w.fn(File{Path: path, Data: data})
}

// openFile opens a file for reading; tests replace it to fail reads that
// permissions cannot (a test running as root reads any file).
var openFile = func(path string) (io.ReadCloser, error) { return os.Open(path) }

// readAtMost reads up to limit+1 bytes of a file, enough to tell that it
// is over the limit without reading all of it.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// unreadable explains why a file or folder could not be read, without
// repeating its path (Skipped names it).
func unreadable(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%w: %w", ErrUnreadable, err)
}

// brokenLink explains a link whose target cannot be read.
func brokenLink(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%w: link to nothing (%w)", ErrUnreadable, err)
	}
	return unreadable(err)
}

func unsupported(path string) error {
	ext := filepath.Ext(path)
	if ext == "" {
		return fmt.Errorf("%w: no file extension", ErrUnsupported)
	}
	return fmt.Errorf("%w %q", ErrUnsupported, ext)
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w: %d bytes, over the limit of %d", ErrTooLarge, size, limit)
}
