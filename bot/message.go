package bot

// Message is a platform-neutral chat message addressed to Lore. Adapters
// build one from whatever their platform delivers.
type Message struct {
	Platform  string // "shell", "slack", "discord"
	Workspace string // Slack team, Discord guild; empty for the shell
	Channel   string
	Thread    string // thread the message belongs to, if any
	User      string
	Text      string
	// Direct is true for a direct message to Lore, as opposed to a message
	// in a shared channel.
	Direct bool
	// Collections, when not empty, limits answers to these knowledge
	// collections, as the adapter's per-channel settings say. Retrieval
	// searches no other collection.
	Collections []string
	// Operator marks a question asked by whoever runs Lore, at its command
	// line (lore ask without --as): they can read the whole database
	// anyway, so it is answered from every published document. Chat
	// adapters never set it.
	Operator bool
}

// Action is a button press on a reply Lore sent earlier.
type Action struct {
	Platform  string
	Workspace string
	Channel   string
	Thread    string
	User      string
	ID        string // which button: one of the Action* constants
	Value     string // what the button carries, for example an answer id
}

// InWorkspace reports whether a press carrying the workspace pressed (an
// Action's Workspace) may act on a record of workspace: the same one, or
// none at all. A button in a Discord direct message (a nudge, a request
// for help, a reply sent there because it was private) carries no server,
// while what it acts on belongs to the server where it began; Discord's
// user ids are the same in every server, so the person pressing is still
// known, and whoever handles the press must check that they are the
// person the record names.
func InWorkspace(pressed, workspace string) bool {
	return pressed == "" || pressed == workspace
}

// Button ids that Lore puts on its replies and understands in an Action.
const (
	ActionHelpful    = "feedback_up"
	ActionNotHelpful = "feedback_down"
	ActionAskPerson  = "ask_person"
)

// Reply is Lore's platform-neutral answer. Adapters render it natively:
// Block Kit in Slack, embeds and components in Discord, text in a terminal.
type Reply struct {
	// Text is Markdown. Text that came from documents or users has not been
	// escaped for any platform; each adapter escapes it for its own.
	Text      string
	Citations []Citation
	Buttons   []Button
	// Grounded is true when Text is backed by the cited documents.
	Grounded bool
	// Fallback is true when a language model was to write the answer but
	// failed or took too long, so Text quotes the sources instead (and
	// ends with a short note saying so).
	Fallback bool
	// Private asks the adapter to show the reply only to the asker, where
	// the platform can.
	Private bool
	// IdempotencyKey, when set, names the message for a platform that
	// recognises a repeated send (Discord's enforced message nonce): sent
	// again with the same key within the platform's window, the reply
	// makes no second message. Nudges set it to their delivery id.
	IdempotencyKey string
}

// Citation names a source an answer relies on. N is the number used in the
// answer text, as in "[1]".
type Citation struct {
	N       int
	DocID   string
	Title   string
	Heading string
	Source  string // file path or URL
	Score   float64
	Snippet string
}

// Button is an interactive choice attached to a reply.
type Button struct {
	ID    string // one of the Action* constants
	Label string
	Value string
}

// StreamFunc receives a reply's text so far while it is being written, for
// adapters that can show an answer as a language model produces it (the
// shell prints it, Slack and Discord update a message). It is called from
// the answering goroutine and must return quickly.
type StreamFunc func(textSoFar string)

// SaveRequest is "Save to knowledge" pressed on a message in chat: a
// colleague's answer, saved with the question it answers as a draft
// document for a curator to approve. Adapters fill it from their
// platform's message shortcut or context menu; the text fields are as the
// people wrote them (adapters only undo their platform's own escaping).
type SaveRequest struct {
	Platform  string
	Workspace string
	Channel   string
	Thread    string
	// User is the person saving, who need not be the answer's author.
	User string
	// Question is the message the answer replies to (a thread's first
	// message, a replied-to message); empty when the adapter found none.
	Question       string
	QuestionAuthor string
	// Answer is the message being saved, and AnswerID its platform id
	// (Slack ts, Discord snowflake), which makes saving it twice the same
	// document.
	Answer       string
	AnswerAuthor string
	AnswerID     string
	// AnswerByLore is true when the saved message is one Lore wrote: an
	// answer of Lore's is already in the knowledge base, and is refused.
	AnswerByLore bool
	// Permalink links to the answer on its platform, when known; it is
	// the document's source.
	Permalink string
	// Public is true when everyone in the workspace or server may read
	// the channel (a public channel, not shared with another
	// organisation). An adapter that cannot tell leaves it false, and the
	// saved answer is then kept for that channel's readers alone.
	Public bool
}
