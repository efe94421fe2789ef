package shell

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// maxLineBytes bounds one line of input. It is far beyond any question a
// person types, and it keeps a runaway pipe from growing memory without end.
const maxLineBytes = 1 << 20

// errLineTooLong reports a line over maxLineBytes. The line is dropped and
// reading goes on with the next one.
var errLineTooLong = errors.New("line too long")

// input is where lines come from: a raw-mode terminal with line editing, or
// plain lines from a file or pipe. Run calls readLine from a goroutine of its
// own, one call at a time, and every other method from its own goroutine
// between reads.
type input interface {
	// setPrompt shows or arms the prompt for the next readLine.
	setPrompt(prompt string) error
	// readLine returns the next line without its line ending, io.EOF at
	// the end of the input, or errLineTooLong for a dropped line.
	readLine() (string, error)
	// output is where everything else is written.
	output() io.Writer
	// endLine moves to a fresh line when Run stops while a prompt is
	// showing, so the user's shell prompt does not start after ours.
	endLine()
	// close releases the input, restoring the terminal if it was changed.
	close() error
}

func (s *Shell) openInput() (input, error) {
	inFile, inOK := s.in.(*os.File)
	outFile, outOK := s.out.(*os.File)
	// Line editing needs both ends: with Out redirected, raw mode would
	// hide what the user types and fill the file with cursor movements.
	if !inOK || !outOK || !term.IsTerminal(int(inFile.Fd())) || !term.IsTerminal(int(outFile.Fd())) {
		return newScanInput(s.in, s.out), nil
	}
	fd := int(inFile.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("shell: putting the terminal in raw mode: %w", err)
	}
	t := newTerminal(struct {
		io.Reader
		io.Writer
	}{inFile, outFile}, s.hist)
	// The default 80 columns would wrap long lines in the wrong place. A
	// size that cannot be read, or a zero one as some pseudo-terminals
	// report, keeps the default rather than wrapping every character.
	if w, h, err := term.GetSize(int(outFile.Fd())); err == nil && w > 0 && h > 0 {
		_ = t.SetSize(w, h)
	}
	return &termInput{t: t, fd: fd, state: state, raw: outFile}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// termInput edits lines on a terminal in raw mode.
type termInput struct {
	t     *term.Terminal
	fd    int
	state *term.State
	raw   io.Writer // the terminal itself, bypassing the line editor
}

func newTerminal(rw io.ReadWriter, h *history) *term.Terminal {
	t := term.NewTerminal(rw, "")
	t.History = termHistory{h}
	return t
}

func (i *termInput) setPrompt(prompt string) error {
	// The line editor writes the prompt itself when reading starts.
	i.t.SetPrompt(prompt)
	return nil
}

func (i *termInput) readLine() (string, error) { return i.t.ReadLine() }

// output is the line editor, which turns "\n" into the "\r\n" raw mode
// needs and keeps a prompt being typed at intact.
func (i *termInput) output() io.Writer { return i.t }

func (i *termInput) endLine() {
	// Written past the line editor, which would otherwise redraw the
	// prompt after the newline.
	_, _ = io.WriteString(i.raw, "\r\n")
}

func (i *termInput) close() error { return term.Restore(i.fd, i.state) }

// termHistory shows the shell's history to the line editor's up and down
// keys. Add does nothing because Run records every line itself, the same way
// whichever input is in use; the line editor calls Add before Run sees the
// line.
type termHistory struct{ h *history }

func (termHistory) Add(string) {}

func (t termHistory) Len() int { return len(t.h.lines) }

// At counts back from the newest entry, as term.History requires.
func (t termHistory) At(i int) string { return t.h.lines[len(t.h.lines)-1-i] }

// scanInput reads plain lines, as from a file or a pipe.
type scanInput struct {
	sc    *bufio.Scanner
	split *lineSplitter
	out   io.Writer
}

func newScanInput(r io.Reader, out io.Writer) *scanInput {
	sc, split := newLineScanner(r)
	return &scanInput{sc: sc, split: split, out: out}
}

func (i *scanInput) setPrompt(prompt string) error {
	_, err := io.WriteString(i.out, prompt)
	return err
}

func (i *scanInput) readLine() (string, error) {
	if !i.sc.Scan() {
		if err := i.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	if i.split.takeDropped() {
		return "", errLineTooLong
	}
	return i.sc.Text(), nil
}

func (i *scanInput) output() io.Writer { return i.out }

func (i *scanInput) endLine() { _, _ = io.WriteString(i.out, "\n") }

func (i *scanInput) close() error { return nil }

// newLineScanner returns a scanner of lines up to maxLineBytes that skips
// longer lines instead of stopping, which is what bufio.ScanLines would do.
func newLineScanner(r io.Reader) (*bufio.Scanner, *lineSplitter) {
	split := &lineSplitter{max: maxLineBytes}
	sc := bufio.NewScanner(r)
	// Room for the longest line plus "\r\n", so the splitter always sees
	// enough to decide before the scanner would give up.
	sc.Buffer(make([]byte, 0, 64*1024), maxLineBytes+2)
	sc.Split(split.split)
	return sc, split
}

// lineSplitter is a bufio.SplitFunc like bufio.ScanLines that drops lines
// longer than max. While dropping it discards input as it arrives, so memory
// stays bounded; when the long line ends it yields an empty token and sets
// dropped, which the reader turns into errLineTooLong.
type lineSplitter struct {
	max      int
	dropping bool // inside a line that is too long
	dropped  bool // the last token stands for a dropped line
}

func (l *lineSplitter) split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line := dropCR(data[:i])
		if l.dropping || len(line) > l.max {
			return i + 1, l.endDropped(), nil
		}
		return i + 1, line, nil
	}
	if atEOF {
		switch {
		case l.dropping || len(dropCR(data)) > l.max:
			return len(data), l.endDropped(), nil
		case len(data) == 0:
			return 0, nil, nil
		}
		return len(data), dropCR(data), nil
	}
	if l.dropping {
		return len(data), nil, nil
	}
	// Without a newline, more than max bytes plus a possible "\r" cannot
	// become an acceptable line.
	if len(data) > l.max+1 {
		l.dropping = true
		return len(data), nil, nil
	}
	return 0, nil, nil
}

func (l *lineSplitter) endDropped() []byte {
	l.dropping, l.dropped = false, true
	return []byte{}
}

// takeDropped reports whether the last token stood for a dropped line, and
// clears the mark.
func (l *lineSplitter) takeDropped() bool {
	d := l.dropped
	l.dropped = false
	return d
}

func dropCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
