package cli

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
)

// fileError words the error of a file the user named that cannot be read:
// its path, then why in plain words, without the system call ("q.csv: no
// such file" where the system says "open q.csv: no such file or
// directory"). An error that is not about reaching the file (a malformed
// line) is returned as it is. The result wraps err, for errors.Is.
func fileError(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	if errors.Is(pe.Err, syscall.EISDIR) {
		return &worded{words: pe.Path + " is a folder, not a file", err: err}
	}
	return &worded{words: pe.Path + ": " + readProblem(pe.Err), err: err}
}

// fileReason is fileError without the path, for a message that names the
// file already, as a setting's does.
func fileReason(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	return &worded{words: readProblem(pe.Err), err: err}
}

// writeFileError words the error of a file the user asked for that cannot
// be written: a missing path means a missing folder, not a missing file.
func writeFileError(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	words := pe.Path + ": " + pe.Err.Error() // "permission denied"
	switch {
	case errors.Is(pe.Err, fs.ErrNotExist), errors.Is(pe.Err, syscall.ENOTDIR):
		words = pe.Path + ": the folder " + filepath.Dir(pe.Path) + " does not exist"
	case errors.Is(pe.Err, syscall.EISDIR):
		words = pe.Path + " is a folder: name a file in it"
	}
	return &worded{words: words, err: err}
}

// readProblem says why a file cannot be read.
func readProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		// ENOTDIR: a folder of the path is a file, so the file is not there.
		return "no such file"
	case errors.Is(err, syscall.EISDIR):
		return "is a folder, not a file"
	}
	return err.Error() // "permission denied", "too many levels of symbolic links"
}

// worded is an error in plain words, wrapping the original.
type worded struct {
	words string
	err   error
}

func (e *worded) Error() string { return e.words }
func (e *worded) Unwrap() error { return e.err }
