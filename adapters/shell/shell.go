// Package shell is Lore's terminal chat adapter. A line typed at the prompt
// is a message to Lore and goes through the same core path as a message from
// Slack or Discord, so the whole bot can be tried, demonstrated and debugged
// without a chat workspace.
//
// # Talking to Lore
//
// Every non-empty line that is not a shell command becomes a [bot.Message]
// with Platform "shell". The prompt shows who is speaking and where, as in
// "alice@#general> " or "alice@dm> ", because the core answers differently
// in a shared channel and in a direct message, and by user.
//
// # Shell commands
//
// Lines starting with a slash, and "exit", are handled here and never reach
// the core: /as NAME, /dm, /channel NAME, /press N, /history, /help, /quit.
// They let one person play several users in several places, which is what a
// chat platform would otherwise be needed for. A line starting with "//" is
// sent to Lore with one slash removed, so text such as a path can still be
// asked about.
//
// # Replies
//
// A [bot.Reply] is printed as its Markdown text, a "Sources:" list and a line
// of numbered buttons that /press answers with a [bot.Action]. Reply text
// comes from documents and users, so escape sequences and control characters
// are removed before it reaches the terminal.
//
// # Input
//
// When both In and Out are terminals the shell puts the terminal in raw mode
// and edits lines itself, with up and down arrows walking the history, and
// restores the terminal when Run returns. Otherwise it reads plain lines, so
// a file or a pipe of questions can be replayed.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
)

// Handler is the core as the shell sees it.
type Handler interface {
	HandleMessage(ctx context.Context, msg bot.Message) bot.Reply
	HandleAction(ctx context.Context, a bot.Action) bot.Reply
}

// StreamHandler is a Handler that can also stream an answer while it is
// written; the shell then prints the text as it arrives. *bot.Bot is one.
type StreamHandler interface {
	Handler
	HandleMessageStream(ctx context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply
}

var _ StreamHandler = (*bot.Bot)(nil)

// Config configures a Shell.
type Config struct {
	// In is where lines are read from. Default os.Stdin.
	In io.Reader
	// Out is where prompts and replies are written. Default os.Stdout.
	Out io.Writer
	// Handler receives messages and button presses. Required.
	Handler Handler
	// User is the initial user name. Default $USER, or "you" when $USER is
	// unset or not a valid name. It may not contain spaces.
	User string
	// Channel is the initial channel, with or without a leading "#".
	// Default "general".
	Channel string
	// HistoryFile is an optional path. Earlier lines are loaded from it at
	// start and every new line is appended; it is created with mode 0600
	// because questions can be private.
	HistoryFile string
	// Color turns on ANSI styling. It only takes effect when Out is a
	// terminal, so redirected output stays plain text.
	Color bool
}

// Platform is the bot.Message platform of everyone in the shell, and the
// PLATFORM of references to them (shell/alice).
const Platform = "shell"

const (
	// dmChannel is the Channel of every direct message: the shell has one
	// direct conversation with Lore, whoever is speaking.
	dmChannel      = "dm"
	defaultUser    = "you"
	defaultChannel = "general"
)

// Shell is a terminal conversation with Lore. It is not safe for concurrent
// use; Run is meant to be called once.
//
// Messages carry no Thread: a terminal conversation is one linear stream in
// which every reply follows its question, so there is nothing to thread.
type Shell struct {
	in      io.Reader
	out     io.Writer
	handler Handler
	color   bool

	user    string
	channel string // without "#"
	direct  bool

	hist *history
	// histErr is why the history file could not be read, shown once.
	histErr error
	last    lastReply
	// sentDirect holds the buttons of a direct message sent while a line
	// was handled; /press answers them when the reply itself has none.
	sentDirect lastReply

	// w is the writer for the current Run; it remembers the first write
	// error so that a closed output ends Run instead of being ignored.
	w *errWriter
}

// lastReply is what /press needs from the most recent reply: its buttons and
// the place it was shown, since a button belongs to the message it sits on
// rather than to wherever the user has moved since.
type lastReply struct {
	buttons []bot.Button
	channel string
}

// New checks cfg, fills in defaults and loads the history file.
func New(cfg Config) (*Shell, error) {
	var errs []error
	if cfg.Handler == nil {
		errs = append(errs, errors.New("a Handler is required"))
	}
	user := cfg.User
	if user == "" {
		user = os.Getenv("USER")
		if checkName(user) != nil {
			user = defaultUser
		}
	} else if err := checkName(user); err != nil {
		errs = append(errs, fmt.Errorf("user: %w", err))
	}
	channel := strings.TrimPrefix(cfg.Channel, "#")
	if cfg.Channel == "" {
		channel = defaultChannel
	} else if err := checkChannel(channel); err != nil {
		errs = append(errs, fmt.Errorf("channel: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("shell: %w: %w", ErrInvalidConfig, err)
	}
	// An unreadable history file costs the history, not the chat: the
	// warning is shown when Run starts, and lines are kept in memory.
	hist, histErr := loadHistory(cfg.HistoryFile)
	if histErr != nil {
		hist = &history{}
	}
	in, out := cfg.In, cfg.Out
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	return &Shell{
		in:      in,
		out:     out,
		handler: cfg.Handler,
		color:   cfg.Color && isTerminal(out),
		user:    user,
		channel: channel,
		hist:    hist,
		histErr: histErr,
	}, nil
}

// ErrInvalidConfig wraps the errors of New about a Config value the
// person chose, such as a user name with a space.
var ErrInvalidConfig = errors.New("invalid configuration")

const banner = "Type a question and press Enter to ask Lore; /help lists the shell commands."

// Run reads lines until `exit`, `/quit`, the end of the input or ctx is
// done, all of which return nil. It returns an error only when the input
// cannot be read or the output cannot be written.
//
// When ctx is done while a line is being read, Run returns at once; the read
// itself cannot be interrupted, so it finishes in the background and its
// line is discarded.
func (s *Shell) Run(ctx context.Context) (err error) {
	in, err := s.openInput()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := in.close(); cerr != nil && err == nil {
			err = fmt.Errorf("shell: restoring terminal: %w", cerr)
		}
	}()
	s.w = &errWriter{w: in.output()}
	s.println(banner)
	if s.histErr != nil {
		s.printf("Could not read the history (%v); this session's lines are kept in memory only.\n", s.histErr)
	}

	// One buffered slot: at most one read is outstanding, and a read
	// abandoned on cancellation can still deliver and exit.
	lines := make(chan readResult, 1)
	for {
		if ctx.Err() != nil {
			in.endLine()
			return nil
		}
		if err := in.setPrompt(s.prompt()); err != nil {
			return fmt.Errorf("shell: writing output: %w", err)
		}
		go func() {
			line, err := in.readLine()
			lines <- readResult{line, err}
		}()
		var (
			res  readResult
			quit bool
		)
		select {
		case <-ctx.Done():
			in.endLine()
			return nil
		case res = <-lines:
		}
		switch {
		case errors.Is(res.err, errLineTooLong):
			s.println("That line is longer than 1 MiB and was not sent.")
		case errors.Is(res.err, io.EOF):
			in.endLine()
			return nil
		case res.err != nil:
			return fmt.Errorf("shell: reading input: %w", res.err)
		default:
			quit = s.handleLine(ctx, res.line)
		}
		if s.w.err != nil {
			return fmt.Errorf("shell: writing output: %w", s.w.err)
		}
		if quit {
			return nil
		}
	}
}

type readResult struct {
	line string
	err  error
}

func (s *Shell) prompt() string {
	return s.user + "@" + s.place() + "> "
}

// place is where a message goes: "dm" or "#channel" in the prompt, and the
// Channel field without the "#".
func (s *Shell) place() string {
	if s.direct {
		return dmChannel
	}
	return "#" + s.channel
}

func (s *Shell) messageChannel() string {
	if s.direct {
		return dmChannel
	}
	return s.channel
}

// handleLine runs one line of input and reports whether the shell should
// stop.
func (s *Shell) handleLine(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	earlier := len(s.hist.lines)
	if err := s.hist.add(line); err != nil {
		// Losing the file should not end the conversation; say so once
		// and keep the history in memory.
		s.printf("Could not save history: %v. History is kept in memory only from now on.\n", err)
	}
	if line == "exit" {
		return true
	}
	if strings.HasPrefix(line, "//") {
		s.send(ctx, line[1:])
		return false
	}
	if !strings.HasPrefix(line, "/") {
		s.send(ctx, line)
		return false
	}
	name, arg := splitCommand(line)
	switch name {
	case "/quit":
		return true
	case "/as":
		s.switchUser(arg)
	case "/dm":
		s.toggleDM(arg)
	case "/channel":
		s.switchChannel(arg)
	case "/press":
		s.press(ctx, arg)
	case "/history":
		s.printHistory(earlier)
	case "/help":
		s.println(helpText)
	default:
		s.printf("Unknown shell command %q. Shell commands: %s. Type /help for details.\n",
			sanitizeLine(name), commandList)
	}
	return false
}

func splitCommand(line string) (name, arg string) {
	i := strings.IndexFunc(line, unicode.IsSpace)
	if i < 0 {
		return line, ""
	}
	return line[:i], strings.TrimSpace(line[i:])
}

const commandList = "/as NAME, /dm, /channel NAME, /press N, /history, /help, /quit"

const helpText = `Shell commands:
  /as NAME        speak as another user
  /dm             switch between a direct message with Lore and the channel
  /channel NAME   move to another channel (leaves the direct message)
  /press N        press button N on the last reply
  /history        list the lines typed so far
  /help           show this list
  exit, /quit     leave
Anything else is sent to Lore; type help (no slash) to see what Lore can do.
Start a line with // to send Lore a line that begins with /.`

func (s *Shell) send(ctx context.Context, text string) {
	ctx = trace.Ensure(ctx)
	msg := bot.Message{
		Platform: Platform,
		Channel:  s.messageChannel(),
		User:     s.user,
		Text:     text,
		Direct:   s.direct,
	}
	sh, ok := s.handler.(StreamHandler)
	if !ok {
		s.show(s.handler.HandleMessage(ctx, msg), msg.Channel)
		return
	}
	p := &streamPrinter{w: s.w}
	r := sh.HandleMessageStream(ctx, msg, p.update)
	s.last = lastReply{buttons: append([]bot.Button(nil), r.Buttons...), channel: msg.Channel}
	_ = p.finish(r, s.color)
}

func (s *Shell) press(ctx context.Context, arg string) {
	n, err := strconv.Atoi(arg)
	if err != nil {
		s.println("Usage: /press N, where N is the number of a button on the last reply.")
		return
	}
	buttons := s.last.buttons
	switch {
	case len(buttons) == 0:
		s.println("The last reply has no buttons to press.")
		return
	case n < 1 || n > len(buttons):
		s.printf("There is no button %d; the last reply has buttons 1 to %d.\n", n, len(buttons))
		return
	}
	b := buttons[n-1]
	a := bot.Action{
		Platform: Platform,
		Channel:  s.last.channel,
		User:     s.user,
		ID:       b.ID,
		Value:    b.Value,
	}
	s.show(s.handler.HandleAction(ctx, a), a.Channel)
}

// show prints a reply and remembers its buttons for /press.
func (s *Shell) show(r bot.Reply, channel string) {
	s.last = lastReply{buttons: append([]bot.Button(nil), r.Buttons...), channel: channel}
	if len(r.Buttons) == 0 && len(s.sentDirect.buttons) > 0 {
		s.last = s.sentDirect
	}
	s.sentDirect = lastReply{}
	// A write error is kept by s.w and ends Run.
	_ = printReply(s.w, r, s.color)
}

func (s *Shell) switchUser(name string) {
	if name == "" {
		s.printf("Usage: /as NAME. You are speaking as %s.\n", s.user)
		return
	}
	if err := checkName(name); err != nil {
		s.printf("Cannot switch user: %v.\n", err)
		return
	}
	s.user = name
	s.printf("Now speaking as %s.\n", s.user)
}

func (s *Shell) toggleDM(arg string) {
	if arg != "" {
		s.println("Usage: /dm (it takes no argument and switches in and out of the direct message).")
		return
	}
	s.direct = !s.direct
	if s.direct {
		s.println("Now in a direct message with Lore. /dm again to go back to #" + s.channel + ".")
		return
	}
	s.println("Back in #" + s.channel + ".")
}

func (s *Shell) switchChannel(arg string) {
	if arg == "" {
		s.printf("Usage: /channel NAME. You are in %s.\n", s.place())
		return
	}
	name := strings.TrimPrefix(arg, "#")
	if err := checkChannel(name); err != nil {
		s.printf("Cannot switch channel: %v.\n", err)
		return
	}
	s.channel, s.direct = name, false
	s.printf("Now in #%s.\n", s.channel)
}

// printHistory lists the first n lines of the history, which leaves out the
// /history line that asked for it.
func (s *Shell) printHistory(n int) {
	if n == 0 {
		s.println("No history yet.")
		return
	}
	for i, line := range s.hist.lines[:n] {
		// History may come from a file edited elsewhere, so it is
		// cleaned like any other outside text.
		s.printf("%4d  %s\n", i+1, sanitizeLine(line))
	}
}

func (s *Shell) printf(format string, args ...any) {
	fmt.Fprintf(s.w, format, args...)
}

func (s *Shell) println(line string) {
	io.WriteString(s.w, line+"\n")
}

// checkName validates a user name. Spaces would make "/as" ambiguous and the
// prompt unreadable; control characters would reach the terminal.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case !utf8.ValidString(name):
		// Ids are stored as text; every question would fail.
		return fmt.Errorf("%q is not valid UTF-8 text", name)
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fmt.Errorf("%q contains a space", sanitizeLine(name))
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%q contains a control character", sanitizeLine(name))
	}
	return nil
}

// checkChannel validates a channel name. "dm" is refused because it is the
// Channel of direct messages and a channel of that name could not be told
// apart from them.
func checkChannel(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if name == dmChannel {
		return errors.New(`"dm" is the direct message; use /dm`)
	}
	return nil
}

// errWriter keeps the first write error so callers can write freely and
// check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
