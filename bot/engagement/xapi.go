package engagement

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lorehq/lore/store"
)

// XAPIVersion is the xAPI version statements follow and the LRS is told.
const XAPIVersion = "1.0.3"

// Statement is an xAPI statement, with the properties Lore sets.
type Statement struct {
	ID        string   `json:"id"`
	Actor     Agent    `json:"actor"`
	Verb      Verb     `json:"verb"`
	Object    Object   `json:"object"`
	Result    *Result  `json:"result,omitempty"`
	Context   *Context `json:"context,omitempty"`
	Timestamp string   `json:"timestamp"`
	Version   string   `json:"version"`
}

// Agent is a statement's actor, always identified by an account.
type Agent struct {
	ObjectType string  `json:"objectType"`
	Account    Account `json:"account"`
}

// Account identifies a person opaquely: HomePage is the workspace and Name
// a pseudonym.
type Account struct {
	HomePage string `json:"homePage"`
	Name     string `json:"name"`
}

// Verb is an xAPI verb.
type Verb struct {
	ID      string            `json:"id"`
	Display map[string]string `json:"display"`
}

// Object is an activity, or a reference to another statement.
type Object struct {
	ObjectType string      `json:"objectType"`
	ID         string      `json:"id"`
	Definition *Definition `json:"definition,omitempty"`
}

// Definition describes an activity.
type Definition struct {
	Type string            `json:"type,omitempty"`
	Name map[string]string `json:"name,omitempty"`
}

// Result is the outcome of an experience.
type Result struct {
	Success  *bool  `json:"success,omitempty"`
	Response string `json:"response,omitempty"`
	Duration string `json:"duration,omitempty"`
}

// Context says where a statement happened.
type Context struct {
	Platform          string             `json:"platform,omitempty"`
	ContextActivities *ContextActivities `json:"contextActivities,omitempty"`
	Statement         *Object            `json:"statement,omitempty"`
	Extensions        map[string]any     `json:"extensions,omitempty"`
}

// ContextActivities relate a statement to other activities.
type ContextActivities struct {
	Parent []Object `json:"parent,omitempty"`
	Other  []Object `json:"other,omitempty"`
}

// ADL verbs (http://adlnet.gov/expapi/verbs/).
var (
	VerbAsked       = adl("asked")
	VerbAnswered    = adl("answered")
	VerbExperienced = adl("experienced")
	VerbAttempted   = adl("attempted")
	VerbCompleted   = adl("completed")
	VerbResponded   = adl("responded")
	VerbInteracted  = adl("interacted")
	VerbRegistered  = adl("registered")
	VerbAttended    = adl("attended")
	VerbLaunched    = adl("launched")
	VerbVoided      = adl("voided")
)

func adl(name string) Verb {
	return Verb{ID: "http://adlnet.gov/expapi/verbs/" + name, Display: map[string]string{"en-US": name}}
}

// Event kinds of capabilities other than question answering: nudges,
// tracks and peer introductions record them through store.Events, with Ref
// naming the nudge, quiz card, track or introduction and Value the outcome
// (above zero correct or met). They are the kinds those capabilities
// write, named once in store.
const (
	KindNudgeDelivered = store.EventNudgeDelivered
	KindNudgeOpened    = store.EventNudgeOpened
	KindNudgeAnswered  = store.EventQuizAnswered
	KindReflection     = store.EventReflection
	KindIntroMade      = store.EventIntroMade
	KindIntroMet       = store.EventMet
	KindTrackJoined    = store.EventTrackJoined
	KindTrackCompleted = store.EventTrackCompleted
)

// Kind says how one event kind becomes a statement.
type Kind struct {
	Verb Verb
	// Activity is the path segment of the activity id under the IRI base
	// ("questions"), and ActivityType its xAPI activity type.
	Activity     string
	ActivityType string
	// ObjectID picks the event field naming the activity: the event's own
	// id, or Ref (the answer judged, the nudge, the track).
	ObjectID func(e store.Event) string
	// Result fills the statement's result; nil for none.
	Result func(e store.Event) *Result
}

func ownID(e store.Event) string { return e.ID }
func refID(e store.Event) string { return e.Ref }

func outcome(e store.Event) *Result {
	if e.Value == 0 {
		return nil
	}
	ok := e.Value > 0
	return &Result{Success: &ok}
}

const (
	typeQuestion    = "http://adlnet.gov/expapi/activities/question"
	typeInteraction = "http://adlnet.gov/expapi/activities/interaction"
	typeAssessment  = "http://adlnet.gov/expapi/activities/assessment"
	typeCourse      = "http://adlnet.gov/expapi/activities/course"
	typeMeeting     = "http://adlnet.gov/expapi/activities/meeting"
	typeDocument    = "http://id.tincanapi.com/activitytype/document"
)

// Kinds maps every event kind to its statement. A capability that records
// a new kind adds its row here.
var Kinds = map[string]Kind{
	store.EventQuestion: {Verb: VerbAsked, Activity: "questions", ActivityType: typeQuestion, ObjectID: ownID},
	store.EventAnswer: {Verb: VerbExperienced, Activity: "answers", ActivityType: typeInteraction, ObjectID: ownID,
		Result: func(e store.Event) *Result {
			ok := e.Confident
			return &Result{Success: &ok, Duration: isoDuration(time.Duration(e.LatencyMS) * time.Millisecond)}
		}},
	store.EventFeedback: {Verb: VerbResponded, Activity: "answers", ActivityType: typeInteraction, ObjectID: refID,
		Result: func(e store.Event) *Result {
			ok := e.Value > 0
			resp := "not helpful"
			if ok {
				resp = "helpful"
			}
			return &Result{Success: &ok, Response: resp}
		}},
	store.EventHelpRequest: {Verb: VerbInteracted, Activity: "answers", ActivityType: typeInteraction, ObjectID: refID,
		Result: func(store.Event) *Result { return &Result{Response: "ask a person"} }},
	KindNudgeDelivered: {Verb: VerbLaunched, Activity: "nudges", ActivityType: typeAssessment, ObjectID: refID},
	KindNudgeOpened:    {Verb: VerbExperienced, Activity: "nudges", ActivityType: typeAssessment, ObjectID: refID},
	KindNudgeAnswered:  {Verb: VerbAnswered, Activity: "nudges", ActivityType: typeAssessment, ObjectID: refID, Result: outcome},
	KindReflection:     {Verb: VerbResponded, Activity: "nudges", ActivityType: typeAssessment, ObjectID: refID},
	KindIntroMade:      {Verb: VerbInteracted, Activity: "intros", ActivityType: typeMeeting, ObjectID: refID},
	KindIntroMet:       {Verb: VerbAttended, Activity: "intros", ActivityType: typeMeeting, ObjectID: refID, Result: outcome},
	KindTrackJoined:    {Verb: VerbRegistered, Activity: "tracks", ActivityType: typeCourse, ObjectID: refID},
	KindTrackCompleted: {Verb: VerbCompleted, Activity: "tracks", ActivityType: typeCourse, ObjectID: refID},
}

// ErrUnmapped means an event cannot become a statement: its kind has no
// row in Kinds, or it names no person (an anonymised event).
var ErrUnmapped = errors.New("event has no statement")

// Mapper builds statements from events.
type Mapper struct {
	base string
	key  []byte
	// TrackOf, when set, names the learning track an event belongs to; the
	// track becomes the statement's parent activity.
	TrackOf func(e store.Event) string
}

// DefaultIRIBase is the IRI base when none is configured: the .invalid
// domain can never name someone else's activities.
const DefaultIRIBase = "https://lore.invalid/xapi"

// NewMapper returns a Mapper that puts activity ids under iriBase (an
// absolute http(s) IRI, such as https://lore.example.com/xapi) and derives
// pseudonyms with pseudonymKey, a secret of at least 16 bytes: without the
// key, a pseudonym cannot be linked back to a user id.
func NewMapper(iriBase string, pseudonymKey []byte) (*Mapper, error) {
	base, err := checkIRIBase(iriBase)
	if err != nil {
		return nil, err
	}
	if len(pseudonymKey) < 16 {
		return nil, errors.New("pseudonym key: want at least 16 bytes")
	}
	return &Mapper{base: base, key: pseudonymKey}, nil
}

// checkIRIBase returns iriBase without a trailing slash, or an error when
// it is not an absolute http(s) IRI.
func checkIRIBase(iriBase string) (string, error) {
	u, err := url.Parse(iriBase)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("xAPI IRI base %q: want an absolute http(s) IRI", iriBase)
	}
	return strings.TrimRight(iriBase, "/"), nil
}

// StatementVoider makes voiding statements without a Mapper. A voiding
// statement names Lore as its actor and the voided statement by its id,
// so it needs the IRI base but not the pseudonym key: statements stored
// while a key was configured can still be withdrawn once it is gone.
type StatementVoider struct {
	base string
}

var (
	_ Voider = (*StatementVoider)(nil)
	_ Voider = (*Mapper)(nil)
)

// NewVoider returns a StatementVoider for iriBase, as NewMapper takes it.
func NewVoider(iriBase string) (*StatementVoider, error) {
	base, err := checkIRIBase(iriBase)
	if err != nil {
		return nil, err
	}
	return &StatementVoider{base: base}, nil
}

// Void returns the statement that voids the statement id, as Mapper.Void
// does.
func (v *StatementVoider) Void(id string, at time.Time) Statement {
	return voidStatement(v.base, id, at)
}

// Pseudonym is the opaque account name of a user of a workspace: stable,
// and unlinkable to the user id without the key.
func (m *Mapper) Pseudonym(platform, workspace, user string) string {
	h := hmac.New(sha256.New, m.key)
	fmt.Fprintf(h, "%s\x00%s\x00%s", platform, workspace, user)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Activity returns the IRI of an activity.
func (m *Mapper) Activity(segment, id string) string {
	return m.base + "/" + segment + "/" + url.PathEscape(id)
}

// HomePage is the account home page of a workspace.
func (m *Mapper) HomePage(platform, workspace string) string {
	if workspace == "" {
		workspace = "default"
	}
	return m.base + "/workspaces/" + url.PathEscape(platform) + "/" + url.PathEscape(workspace)
}

// StatementID is the statement id of an event: the event's id when it is
// a UUID, as the bot's are, otherwise a name-based UUID derived from it,
// so that mapping the same event twice gives the same statement.
func StatementID(eventID string) string {
	if u, err := uuid.Parse(eventID); err == nil {
		return u.String()
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("lore-event:"+eventID)).String()
}

// Statement maps e, or returns an error wrapping ErrUnmapped.
func (m *Mapper) Statement(e store.Event) (Statement, error) {
	k, ok := Kinds[e.Kind]
	if !ok {
		return Statement{}, fmt.Errorf("%w: unknown kind %q", ErrUnmapped, e.Kind)
	}
	if e.User == "" {
		return Statement{}, fmt.Errorf("%w: event %s names no person", ErrUnmapped, e.ID)
	}
	objID := k.ObjectID(e)
	if objID == "" {
		return Statement{}, fmt.Errorf("%w: %s event %s names no activity", ErrUnmapped, e.Kind, e.ID)
	}
	st := Statement{
		ID:    StatementID(e.ID),
		Actor: Agent{ObjectType: "Agent", Account: Account{HomePage: m.HomePage(e.Platform, e.Workspace), Name: m.Pseudonym(e.Platform, e.Workspace, e.User)}},
		Verb:  k.Verb,
		Object: Object{ObjectType: "Activity", ID: m.Activity(k.Activity, objID),
			Definition: &Definition{Type: k.ActivityType}},
		Timestamp: e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		Version:   XAPIVersion,
	}
	if k.Result != nil {
		st.Result = k.Result(e)
	}
	ctx := &Context{Platform: e.Platform, Extensions: map[string]any{
		m.base + "/extensions/channel-type": channelType(e),
	}}
	var ca ContextActivities
	if m.TrackOf != nil {
		if track := m.TrackOf(e); track != "" {
			ca.Parent = append(ca.Parent, Object{ObjectType: "Activity", ID: m.Activity("tracks", track), Definition: &Definition{Type: typeCourse}})
		}
	}
	for _, d := range e.DocIDs {
		ca.Other = append(ca.Other, Object{ObjectType: "Activity", ID: m.Activity("documents", d), Definition: &Definition{Type: typeDocument}})
	}
	if len(ca.Parent)+len(ca.Other) > 0 {
		ctx.ContextActivities = &ca
	}
	if e.Kind == store.EventFeedback || e.Kind == store.EventHelpRequest {
		// The answer judged has its own statement, with the id of its event.
		ctx.Statement = &Object{ObjectType: "StatementRef", ID: StatementID(e.Ref)}
	}
	st.Context = ctx
	return st, nil
}

func channelType(e store.Event) string {
	if e.Direct {
		return "direct"
	}
	return "channel"
}

// Void returns the statement that voids the statement id, made by Lore
// itself at the given time.
func (m *Mapper) Void(id string, at time.Time) Statement {
	return voidStatement(m.base, id, at)
}

func voidStatement(base, id string, at time.Time) Statement {
	return Statement{
		ID:        uuid.NewSHA1(uuid.NameSpaceURL, []byte("lore-void:"+id)).String(),
		Actor:     Agent{ObjectType: "Agent", Account: Account{HomePage: base, Name: "lore"}},
		Verb:      VerbVoided,
		Object:    Object{ObjectType: "StatementRef", ID: id},
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		Version:   XAPIVersion,
	}
}

// Stored returns st as the store keeps it, about user.
func Stored(st Statement, user string) (store.Statement, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return store.Statement{}, fmt.Errorf("encode statement %s: %w", st.ID, err)
	}
	t, err := time.Parse(time.RFC3339Nano, st.Timestamp)
	if err != nil {
		return store.Statement{}, fmt.Errorf("statement %s timestamp: %w", st.ID, err)
	}
	s := store.Statement{ID: st.ID, Time: t, User: user, JSON: body}
	if st.Verb.ID == VerbVoided.ID {
		s.Voids = st.Object.ID
	}
	return s, nil
}

// isoDuration formats d as an ISO 8601 duration in seconds, to the 0.01 s
// precision xAPI asks for (PT1234.57S): in plain digits whatever its size,
// since an LRS refuses exponent notation, and never negative.
func isoDuration(d time.Duration) string {
	cs := (max(d, 0) + 5*time.Millisecond) / (10 * time.Millisecond)
	s := fmt.Sprintf("%d.%02d", cs/100, cs%100)
	return "PT" + strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "S"
}
