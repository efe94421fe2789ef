// Package cli is the lore command tree. It parses flags, wires the store,
// the capabilities and the adapters together (in one place, explicitly),
// and maps outcomes to exit codes. Tests run it in-process through Run.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/ingest/pdfproc"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

// Exit codes of the lore command.
const (
	ExitOK       = 0
	ExitFailure  = 1 // the command could not do its work
	ExitUsage    = 2 // bad arguments, flags or input
	ExitNoAnswer = 3 // lore ask: no confident answer
	// ExitInterrupted is the status of a command stopped by Ctrl-C
	// (SIGINT); SIGTERM gives 143. Both are 128 plus the signal's number,
	// as shells report a process the signal ended.
	ExitInterrupted = 130
)

// StopSignal is the cause of a context that NotifyContext cancelled.
type StopSignal struct{ Signal os.Signal }

func (s *StopSignal) Error() string { return "stopped by " + signalName(s.Signal) }

// code is the exit status of a command the signal stopped.
func (s *StopSignal) code() int {
	if n, ok := s.Signal.(syscall.Signal); ok && n > 0 {
		return 128 + int(n)
	}
	return ExitInterrupted
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "Ctrl-C (SIGINT)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// NotifyContext returns a context that SIGINT or SIGTERM cancels with a
// *StopSignal cause, which Run turns into the signal's exit status. A
// second signal while the command is stopping says so in one line on
// stderr and exits the process at once with that signal's status: the
// way out of a clean stop that takes too long, such as lore serve waiting
// for its jobs in flight. stop stops relaying the signals.
func NotifyContext(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(&StopSignal{Signal: sig})
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			again := &StopSignal{Signal: sig}
			fmt.Fprintf(stderr, "lore: %s during the stop: forced to exit without finishing it.\n", signalName(sig))
			os.Exit(again.code())
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(context.Canceled)
	}
}

// Stdio are the streams a command reads and writes.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// app holds what every command shares.
type app struct {
	io      Stdio
	getenv  func(string) string
	dbURL   string
	migrate bool
	log     *slog.Logger
	config  *config
	// metrics, when set (lore serve), count questions and answers.
	metrics *web.Metrics
	// pdf reads PDFs; see pdfReader.
	pdf ingest.PDFReader
	// stopNote, set by a long command, says what it had done and how to
	// finish when a stop signal ends it early.
	stopNote func() string
}

// pdfReader is what reads PDFs: a child process of this executable
// (package pdfproc), which is killed when a parse runs away, or, when the
// executable cannot be found, this process.
func (a *app) pdfReader() ingest.PDFReader {
	if a.pdf == nil {
		r, err := pdfproc.New()
		if err != nil {
			a.log.Warn("PDFs are read in this process", "err", err)
			return nil
		}
		a.pdf = r
	}
	return a.pdf
}

// Run executes the lore command line args and returns the exit code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	return RunWithEnv(ctx, args, stdio, os.Getenv)
}

// RunWithEnv is Run with the environment read through getenv, so that
// tests can set configuration without touching the process's.
func RunWithEnv(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	a := &app{io: stdio, getenv: getenv}
	a.log = slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if code, ok := a.stopped(ctx, err); ok {
		return code
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	fmt.Fprintf(stdio.Err, "lore: %s\n", userMessage(err))
	switch {
	case errors.As(err, &ee):
		return ee.code
	case isUsageError(err):
		return ExitUsage
	}
	return ExitFailure
}

// stopped reports a command that a stop signal (or its caller's
// cancellation) ended before it finished: it says so, with what the
// command had done, and returns the exit status of the signal. Errors of
// usage, found before any work, are left as they are.
func (a *app) stopped(ctx context.Context, err error) (int, bool) {
	var ee *exitError
	if ctx.Err() == nil || (errors.As(err, &ee) && ee.code == ExitUsage) || isUsageError(err) {
		return 0, false
	}
	code, why := ExitInterrupted, "stopped"
	var sig *StopSignal
	if errors.As(context.Cause(ctx), &sig) {
		code, why = sig.code(), sig.Error()
	}
	msg := why + " before it finished"
	if a.stopNote != nil {
		if note := a.stopNote(); note != "" {
			msg += ": " + note
		}
	}
	fmt.Fprintf(a.io.Err, "lore: %s.\n", msg)
	return code, true
}

// isUsageError recognises cobra's own argument and flag errors, which it
// returns as plain errors.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires exactly", "required flag"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// userMessage words an error for the person at the terminal.
func userMessage(err error) string {
	if errors.Is(err, store.ErrLocked) {
		return err.Error() + "\nAnother process is using this database; wait for it to finish and try again."
	}
	return err.Error()
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "lore",
		Short: "Lore answers questions from your company's knowledge, in chat",
		Long: `Lore is a chat-native learning assistant. It answers questions from the
content curators load, with citations, and says plainly when it does not know.

Start with 'lore chat' to talk to it about the bundled sample handbook.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cpuProfile, memProfile, configFile string
	root.PersistentFlags().StringVar(&configFile, "config", "", "YAML configuration file (default $LORE_CONFIG, or lore.yaml when present); the environment overrides it")
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile to this file at exit")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := a.loadSettings(configFile); err != nil {
			return err
		}
		if memProfile != "" {
			cobra.OnFinalize(func() {
				if f, err := os.Create(memProfile); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			})
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile %w", writeFileError(err))
		}
		cobra.OnFinalize(func() { pprof.StopCPUProfile(); f.Close() })
		return pprof.StartCPUProfile(f)
	}
	root.PersistentFlags().BoolVar(&a.migrate, "migrate", false, "apply pending PostgreSQL migrations at start (SQLite files are always migrated)")
	root.PersistentFlags().StringVar(&a.dbURL, "db", "", "database: a SQLite file (sqlite:PATH) or a PostgreSQL URL; default $LORE_DATABASE_URL or lore.db")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w%s\nRun '%s --help' for usage.", flagValueError(err), suggestFlag(cmd, err), cmd.CommandPath())}
	})
	root.AddCommand(
		a.ingestCommand(),
		a.askCommand(),
		a.chatCommand(),
		a.gapsCommand(),
		a.evalCommand(),
		a.benchCommand(),
		a.tracksCommand(),
		a.migrateCommand(),
		a.serveCommand(),
		a.configCommand(),
		a.probeCommand(),
		a.discordCommand(),
		a.reindexCommand(),
		a.doctorCommand(),
		a.sourcesCommand(),
		a.exportCommand(),
		a.digestCommand(),
		a.forgetCommand(),
		a.retentionCommand(),
		a.dashboardCommand(),
		a.profilesCommand(),
		a.peersCommand(),
		a.collectionsCommand(),
		a.draftsCommand(),
		a.approveCommand(),
		a.reviewCommand(),
		a.rolesCommand(),
		a.auditCommand(),
	)
	root.InitDefaultCompletionCmd()
	strictHelp(root)
	requireSubcommands(root)
	explainArgs(root)
	return root
}

// explainArgs makes a wrong number of arguments show the command's form:
// cobra's own "accepts 1 arg(s), received 0" does not say which.
// Arguments refused with a reason of their own are left as they are.
func explainArgs(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		explainArgs(sub)
	}
	check := cmd.Args
	if check == nil {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		err := check(c, args)
		var ee *exitError
		if err == nil || errors.As(err, &ee) {
			return err
		}
		form := "Usage: " + c.UseLine()
		if c.HasAvailableSubCommands() && len(args) > 0 {
			c.SuggestionsMinimumDistance = 2 // as cobra's own for lore's commands
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				err = fmt.Errorf("%w\n\nDid you mean this?\n\t%s\n", err, strings.Join(s, "\n\t"))
			}
		}
		if c.HasAvailableSubCommands() {
			var names []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			form = "Commands: " + strings.Join(names, ", ")
		}
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w\n%s\nRun '%s --help' for more.", err, form, c.CommandPath())}
	}
}

// flagValueError words a value that does not parse as the flag's type
// without Go's parser messages ("strconv.ParseBool: parsing \"maybe\":
// invalid syntax"); the flags' own value types already speak plainly.
func flagValueError(err error) error {
	var iv *pflag.InvalidValueError
	var num *strconv.NumError
	if !errors.As(err, &iv) || !errors.As(err, &num) {
		return err
	}
	want := "want a whole number"
	switch typ := iv.GetFlag().Value.Type(); {
	case typ == "bool":
		want = "want true or false"
	case strings.HasPrefix(typ, "float"):
		want = "want a number"
	case errors.Is(num.Err, strconv.ErrRange):
		want = "the number is out of range"
	}
	return fmt.Errorf("invalid argument %q for --%s: %s", iv.GetValue(), iv.GetFlag().Name, want)
}

// suggestFlag names the flags of cmd close to an unknown one ("Did you
// mean --collection?"), as cobra does for commands but not for flags; it
// is "" for other errors or when none is close.
func suggestFlag(cmd *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	maxTypos := 2
	if len(name) < 5 {
		maxTypos = 1 // two edits turn --jsn into --as
	}
	var close []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		if analyze.EditDistance(strings.ToLower(name), f.Name) <= maxTypos || (len(name) >= 2 && strings.HasPrefix(f.Name, strings.ToLower(name))) {
			close = append(close, "--"+f.Name)
		}
	}
	cmd.LocalFlags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if len(close) == 0 {
		return ""
	}
	return "\nDid you mean " + strings.Join(close, " or ") + "?"
}

// strictHelp makes an unknown topic of the help command a usage error,
// exit 2, as an unknown command is: cobra printed the root's usage and
// exited 0. Known topics, and completion, are cobra's.
func strictHelp(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	for _, help := range root.Commands() {
		if help.Name() != "help" || help.Run == nil {
			continue
		}
		show := help.Run
		help.Run = nil
		help.RunE = func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err == nil && len(rest) > 0 {
				err = fmt.Errorf("unknown command %q for %q", rest[0], cmd.CommandPath())
			}
			if err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("%w\nRun 'lore --help' for the commands.", err)}
			}
			show(c, args)
			return nil
		}
	}
}

// requireSubcommands makes every command that only groups others (export,
// config, completion, ...) print its help when called alone and refuse an
// unknown word as a usage error, exit 2; cobra would print the help and
// succeed.
func requireSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		requireSubcommands(sub)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}

// databaseURL resolves the database from --db, then LORE_DATABASE_URL
// (environment, then configuration file), then lore.db in the working
// directory.
func (a *app) databaseURL() string {
	if a.dbURL != "" {
		return a.dbURL
	}
	return a.getenv("LORE_DATABASE_URL")
}

// searchFreshness bounds how long a search may miss writes made by another
// process; checking before every search would cost a query each time.
const searchFreshness = 50 * time.Millisecond

// openStore opens the configured database.
func (a *app) openStore(ctx context.Context, url string) (store.Store, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		// The index settings were checked as whole numbers when the
		// configuration loaded; pgvector's own limits are the store's
		// to check (postgres.Options).
		intSetting := func(name string) int { n, _ := strconv.Atoi(a.getenv(name)); return n }
		st, err := postgres.Open(ctx, url, postgres.Options{
			Migrate: a.migrate, Logger: a.log,
			IndexBuildMemoryMB:  intSetting("LORE_PG_INDEX_BUILD_MEMORY_MB"),
			IndexM:              intSetting("LORE_PG_HNSW_M"),
			IndexEfConstruction: intSetting("LORE_PG_HNSW_EF_CONSTRUCTION"),
			IndexPartitions:     intSetting("LORE_PG_HNSW_PARTITIONS"),
			SearchEf:            intSetting("LORE_PG_HNSW_EF_SEARCH"),
		})
		if errors.Is(err, postgres.ErrNeedsMigration) {
			return nil, fmt.Errorf("%w\nRun 'lore migrate' (or pass --migrate) to bring the schema up to date.", err)
		}
		if errors.Is(err, store.ErrInvalidInput) {
			// A URL that does not parse, as one that is not a database
			// URL at all, is bad input.
			return nil, &exitError{code: ExitUsage, err: err}
		}
		if err != nil {
			return nil, err
		}
		if a.migrate {
			// The job queue's tables live beside Lore's and migrate with them.
			if err := queue.Migrate(ctx, st.Pool(), st.Schema()); err != nil {
				st.Close()
				return nil, err
			}
		}
		return st, nil
	}
	path, ok := sqlite.ParseURL(url)
	if !ok {
		// The value is not echoed: a mistyped URL may carry a password.
		return nil, usageErrorf("unrecognised database URL: use sqlite:PATH, a path ending in .db, or postgres://...")
	}
	// SQLite words a folder, or a file in a folder that does not exist,
	// as "disk I/O error" or "unable to open database file".
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, usageErrorf("database %s is a folder, not a SQLite file: name a file in it, such as sqlite:%s", path, filepath.Join(path, "lore.db"))
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("database %s: the folder %s does not exist", path, dir)
		}
	}
	// Writes by other processes (a concurrent ingest) reach searches within
	// searchFreshness; this process's own writes at once.
	st, err := sqlite.Open(ctx, path, sqlite.Options{Freshness: searchFreshness})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// localZone is the machine's time zone under its IANA name (from TZ, else
// the link /etc/localtime), so that replies name it ("Europe/Paris"):
// Go calls the zone it read from /etc/localtime "Local". Where no name can
// be found, it is time.Local all the same.
func localZone(getenv func(string) string) *time.Location {
	name := strings.TrimPrefix(getenv("TZ"), ":")
	if name == "" {
		if target, err := os.Readlink("/etc/localtime"); err == nil {
			if _, after, ok := strings.Cut(target, "zoneinfo/"); ok {
				name = after
			}
		}
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.Local
}

// services wires the capabilities over a store.
type services struct {
	store     store.Store
	knowledge *knowledge.Service
	nudges    *nudges.Service // nil when the store keeps no nudges
	bot       *bot.Bot
	// claims de-duplicates platform deliveries across replicas; nil when
	// the store cannot, and adapters then de-duplicate within the process.
	claims claimer
	// messenger sends the peer capability's direct messages through the
	// chat adapter once one is running.
	messenger *lateMessenger
	// peers is the peer capability, nil when the store keeps no profiles.
	peers *peers.Service
	// router reaches people by direct message through the running chat
	// adapters (lore serve adds them).
	router *chatRouter
	// rosters lists channel members for pairing rounds through the running
	// chat adapters (lore serve adds them).
	rosters *rosterRouter
	// digests sends leaders' digests through the running chat adapters
	// (lore serve adds them).
	digests *digestRouter
	// syncs queues the first sync of a source added from chat, once lore
	// serve's job queue runs.
	syncs *syncQueue
	// directory is everyone's roles: the bot's audiences and role
	// commands, the peers' admin check and lore roles read it; lore
	// serve's chat adapters answer its platform group lookups.
	directory *audience.RoleDirectory
}

// claimer is what adapters need to answer one platform event once.
type claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
}

func (a *app) open(ctx context.Context) (*services, error) {
	st, err := a.openStore(ctx, a.databaseURL())
	if err != nil {
		return nil, err
	}
	return a.wire(st)
}

func (a *app) wire(st store.Store) (*services, error) {
	models, err := a.readModelSettings()
	if err != nil {
		st.Close()
		return nil, err
	}
	events, err := a.eventLog(st)
	if err != nil {
		st.Close()
		return nil, err
	}
	opts, _, err := models.knowledgeOptions()
	if err != nil {
		st.Close()
		return nil, err
	}
	opts.PDF = a.pdfReader()
	if path := strings.TrimSpace(a.getenv("LORE_SYNONYMS_FILE")); path != "" {
		if opts.Synonyms, err = readSynonyms(path); err != nil {
			st.Close()
			return nil, usageErrorf("LORE_SYNONYMS_FILE: %w", fileError(err))
		}
	}
	k := knowledge.New(st, opts)
	messenger := &lateMessenger{}
	rosters := &rosterRouter{}
	dir, err := a.directory(st)
	if err != nil {
		st.Close()
		return nil, err
	}
	p, err := a.peerCapability(st, events, messenger, rosters, dir)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg := bot.Config{Knowledge: k, Events: events, Logger: a.log, Directory: dir}
	if a.metrics != nil {
		cfg.Knowledge = measuredKnowledge{Service: k, m: a.metrics}
	}
	if p != nil {
		cfg.Peers = p
	}
	if cfg.Privacy, err = a.privacyCommands(st); err != nil {
		st.Close()
		return nil, err
	}
	syncs := &syncQueue{}
	cur, err := a.curationCapability(st, k, events, dir, syncs)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg.Curation = cur
	router := &chatRouter{}
	var n *nudges.Service
	if ns, ok := st.(nudges.Store); ok {
		onboarding, err := a.onboarding()
		if err != nil {
			st.Close()
			return nil, err
		}
		if n, err = nudges.New(nudges.Config{Store: ns, Sender: nudgeSender{router}, TimeZones: storeTimeZones{st},
			Logger: a.log, DefaultTimeZone: localZone(a.getenv), Onboarding: onboarding, Directory: dir}); err != nil {
			st.Close()
			return nil, err
		}
		cfg.Learning = n
		cfg.Onboarding = n
	}
	b, err := bot.New(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc := &services{store: st, knowledge: k, nudges: n, bot: b, messenger: messenger, peers: p, router: router, rosters: rosters, digests: &digestRouter{}, syncs: syncs, directory: dir}
	if c, ok := st.(claimer); ok {
		svc.claims = c
	}
	return svc, nil
}

func (s *services) Close() error { return s.store.Close() }

// directory is the roles and groups of people, from LORE_ROLES,
// LORE_ADMINS, LORE_GROUPS and LORE_ROLE_MAP (already checked when the
// configuration loaded) and the grants stored in st.
func (a *app) directory(st store.Store) (*audience.RoleDirectory, error) {
	d, err := audience.NewRoleDirectory(audience.DirectoryConfig{
		Roles: a.getenv("LORE_ROLES"), Groups: a.getenv("LORE_GROUPS"), Admins: a.getenv(envAdmins),
		RoleMap: a.getenv(envRoleMap), Grants: st, Logger: a.log,
	})
	if err != nil {
		return nil, usageErrorf("roles: %v", err)
	}
	return d, nil
}

// printJSON writes v to standard output as indented JSON: the --json form
// of the listing commands.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
