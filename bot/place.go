package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lorehq/lore/store"
)

// Places finds where a person has records: the workspaces of their
// learning and peer records and events (store.People), and the nudge a
// direct message replies to (store.Nudges). Both stores implement it.
type Places interface {
	PersonWorkspaces(ctx context.Context, platform, user string) ([]store.PersonWorkspace, error)
	DeliveryInThread(ctx context.Context, l store.Learner, thread string) (store.Delivery, error)
}

// Home is the workspace a message acts in for its sender (FindHome).
type Home struct {
	Workspace string
	// Note, when not empty, ends the reply: the workspace was chosen
	// among several, and the person is told which and how to reach
	// another.
	Note string
	// Unsure lists the person's workspaces when none of them could be
	// chosen; Workspace is then the message's own, and the command must
	// change nothing (WhichPlace is the reply).
	Unsure []store.PersonWorkspace
}

// FindHome is the workspace msg acts in for its sender. A message that
// names its workspace acts there, and so does one that is not direct. A
// Discord direct message is the exception: it belongs to no server, while
// the person's records (enrolments, nudge settings, peer profile,
// requests, activity) are kept under the server where they began. Such a
// message acts where those records are:
//
//   - in the only workspace they have;
//   - among several, in the one of the nudge the message replies to;
//   - else in the one of the newest nudge sent to them, with a Note that
//     says so and how to reach another;
//   - else in none: Unsure lists them.
//
// A person with no records anywhere stays without a workspace, as before
// they used Lore anywhere. A nil places leaves every message as it is.
func FindHome(ctx context.Context, places Places, msg Message) (Home, error) {
	home := Home{Workspace: msg.Workspace}
	if places == nil || !msg.Direct || msg.Workspace != "" || msg.Platform == "" || msg.User == "" {
		return home, nil
	}
	ws, err := places.PersonWorkspaces(ctx, msg.Platform, msg.User)
	if err != nil || len(ws) == 0 {
		return home, err
	}
	if len(ws) == 1 {
		home.Workspace = ws[0].Workspace
		return home, nil
	}
	if msg.Thread != "" {
		for _, w := range ws {
			l := store.Learner{Platform: msg.Platform, Workspace: w.Workspace, User: msg.User}
			_, err := places.DeliveryInThread(ctx, l, msg.Thread)
			if err == nil {
				home.Workspace = w.Workspace
				return home, nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return home, err
			}
		}
	}
	// PersonWorkspaces puts the newest nudge first; a tie is no choice.
	if newest := ws[0]; !newest.LastSent.IsZero() && newest.LastSent.After(ws[1].LastSent) {
		home.Workspace = newest.Workspace
		home.Note = fmt.Sprintf("_For %s, where your latest nudge came from. For another server, reply to one of its nudges "+
			"or send the command from there._", PlaceName(msg.Platform, newest.Workspace))
		return home, nil
	}
	home.Unsure = ws
	return home, nil
}

// WhichPlace is the reply to a direct message that could be for any of
// places: each named, with what detail says of it (the tracks followed
// there, say; "" for nothing), so that the person knows which is which,
// and how to say.
func WhichPlace(platform string, places []store.PersonWorkspace, detail func(workspace string) string) string {
	var b strings.Builder
	b.WriteString("You use me in more than one place, and I can't tell which this is for:\n")
	for _, p := range places {
		b.WriteString("- " + PlaceName(platform, p.Workspace))
		if detail != nil {
			if d := detail(p.Workspace); d != "" {
				b.WriteString(": " + d)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("Reply to a nudge from the one you mean, or send the command from that server: I answer it privately.")
	return b.String()
}

// PlaceName names a workspace of platform to the person who has records
// there. Records without one were made in direct messages before the
// person used Lore in a server.
func PlaceName(platform, workspace string) string {
	if workspace == "" {
		return "our direct messages, outside any server"
	}
	noun := "workspace"
	if platform == "discord" {
		noun = "server"
	}
	id := strings.ToValidUTF8(workspace, "")
	if r := []rune(id); len(r) > 40 {
		id = string(r[:40]) + "…"
	}
	return noun + " `" + strings.ReplaceAll(id, "`", "") + "`"
}

// PlaceNames joins the names of places: "server `G1`, server `G2` and
// server `G3`".
func PlaceNames(platform string, places []store.PersonWorkspace) string {
	names := make([]string, len(places))
	for i, p := range places {
		names[i] = PlaceName(platform, p.Workspace)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
