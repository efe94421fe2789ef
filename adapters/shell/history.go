package shell

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// maxHistory bounds the lines kept in memory; the file keeps them all, but
// a years-old file should not slow the start or fill memory.
const maxHistory = 1000

// history holds the lines typed so far, oldest first, and appends each new
// one to a file, when there is one, so it survives restarts.
type history struct {
	lines []string
	path  string // empty when lines are kept in memory only
}

// loadHistory reads the last maxHistory lines of path. A missing file is an
// empty history; it is created on the first line typed.
func loadHistory(path string) (*history, error) {
	h := &history{path: path}
	if path == "" {
		return h, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	defer f.Close()
	sc, split := newLineScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if split.takeDropped() || line == "" {
			continue
		}
		h.remember(line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading history %s: %w", path, err)
	}
	return h, nil
}

// add records line in memory and in the file. After a file error it stops
// using the file, so the error is reported once and typing goes on.
func (h *history) add(line string) error {
	h.remember(line)
	if h.path == "" {
		return nil
	}
	if err := appendLine(h.path, line); err != nil {
		h.path = ""
		return err
	}
	return nil
}

func (h *history) remember(line string) {
	h.lines = append(h.lines, line)
	if len(h.lines) > maxHistory {
		n := copy(h.lines, h.lines[len(h.lines)-maxHistory:])
		h.lines = h.lines[:n]
	}
}

// appendLine opens the file for each line rather than holding it open, so a
// Shell that is never run, or is abandoned, leaves nothing to close; lines
// arrive at typing speed.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(line + "\n")
	return errors.Join(werr, f.Close())
}
