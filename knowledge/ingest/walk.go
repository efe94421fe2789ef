package ingest

import (
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
	// Reason wraps ErrBinary, ErrTooLarge or ErrUnsupported.
	Reason error
}

// WalkOptions tunes Walk.
type WalkOptions struct {
	// MaxFileBytes is the size above which a file is skipped with
	// ErrTooLarge. Zero or less means DefaultMaxFileBytes.
	MaxFileBytes int64
}

// Walk visits every supported file under paths, which may name files or
// folders. Folders are walked recursively in lexical order; hidden files
// and folders (names starting with ".", such as .git) are passed over
// silently. fn is called for each file read; skip, if not nil, for each
// file left out: binary content, over the size limit, or an unsupported
// extension, whether inside a folder or named directly.
//
// Every path is checked before any is walked, so a mistyped path fails
// fast: a path that does not exist returns an error wrapping
// fs.ErrNotExist that names it, before any call of fn. An error from fn
// stops the walk and is returned as it is.
func Walk(paths []string, opts WalkOptions, fn func(File) error, skip func(Skipped)) error {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if skip == nil {
		skip = func(Skipped) {}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			// os.Stat's *PathError names the path and wraps
			// fs.ErrNotExist when it is missing.
			return fmt.Errorf("ingest: %w", err)
		}
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
		return fmt.Errorf("ingest: %w", err)
	}
	if !info.IsDir() {
		return w.file(p, info)
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if path != p && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !Supported(path) {
			// Checked before Stat so an unsupported entry costs no
			// system call and is reported whatever it is.
			w.skip(Skipped{Path: path, Reason: unsupported(path)})
			return nil
		}
		// Stat follows symbolic links, so a link to a file is read as
		// the file. Links to folders are not followed, which keeps
		// the walk free of cycles.
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if info.IsDir() {
			w.skip(Skipped{Path: path, Reason: fmt.Errorf("%w: link to a folder", ErrUnsupported)})
			return nil
		}
		return w.file(path, info)
	})
}

// file reads one regular file, or reports why it was skipped.
func (w walker) file(path string, info fs.FileInfo) error {
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
	data, err := readAtMost(path, w.opts.MaxFileBytes)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if int64(len(data)) > w.opts.MaxFileBytes {
		// The file grew after it was listed.
		w.skip(Skipped{Path: path, Reason: tooLarge(int64(len(data)), w.opts.MaxFileBytes)})
		return nil
	}
	if isBinary(data) && formatOf(path) != FormatPDF {
		w.skip(Skipped{Path: path, Reason: ErrBinary})
		return nil
	}
	return w.fn(File{Path: path, Data: data})
}

// readAtMost reads up to limit+1 bytes of a file, enough to tell that it
// is over the limit without reading all of it.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
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
