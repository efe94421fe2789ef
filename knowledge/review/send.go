package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Result is what one Send did.
type Result struct {
	// Reminded counts the items (document and reason) sent to at least
	// one person; Messages the direct messages sent.
	Reminded, Messages int
	// Unrouted counts the items with no one to send to; they are logged.
	Unrouted int
	// Failed counts the people a message could not reach; their items are
	// tried again at the next run unless someone else received them.
	Failed int
}

// Send reminds each person of the items due to them: one direct message
// per person listing all their documents. Items reminded within the last
// week are left out, and so are items with no one to send to (logged).
func (s *Service) Send(ctx context.Context) (Result, error) {
	var res Result
	if s.cfg.Messenger == nil {
		return res, ErrNoMessenger
	}
	items, err := s.Items(ctx)
	if err != nil {
		return res, err
	}
	now := s.cfg.Clock()
	var pending []Item
	var notices []store.ReviewNotice
	for _, it := range items {
		switch {
		case !it.LastSent.IsZero():
			continue
		case it.Route == RouteNone:
			res.Unrouted++
			s.cfg.Logger.WarnContext(ctx, "a document needs its owner, but no one can be reminded: set LORE_REVIEWERS",
				"document", it.Document.ID, "title", it.Document.Title, "owner", it.Document.Owner, "reason", it.Reason)
			continue
		}
		pending = append(pending, it)
		notices = append(notices, store.ReviewNotice{DocID: it.Document.ID, Reason: it.Reason, SentAt: now})
	}
	if len(notices) == 0 {
		return res, nil
	}
	// Claim first: of two replicas sending at once, each item goes out
	// from one. The claim is a short lease, so that items claimed by a
	// replica that stops before sending go out at a later run; they are
	// quiet for the week only once marked sent below.
	claimed, err := s.cfg.Store.ClaimReviewNotices(ctx, notices, Lease, Week)
	if err != nil {
		return res, err
	}
	mine := make(map[[2]string]store.ReviewNotice, len(claimed))
	for _, n := range claimed {
		mine[[2]string{n.DocID, n.Reason}] = n
	}
	type inbox struct {
		to    audience.Ref
		items []Item
	}
	var order []string
	inboxes := map[string]*inbox{}
	for _, it := range pending {
		if _, ok := mine[[2]string{it.Document.ID, it.Reason}]; !ok {
			continue
		}
		for _, to := range it.Recipients {
			key := to.String()
			if inboxes[key] == nil {
				inboxes[key] = &inbox{to: to}
				order = append(order, key)
			}
			inboxes[key].items = append(inboxes[key].items, it)
		}
	}
	reached := map[[2]string]bool{}
	for _, key := range order {
		in := inboxes[key]
		err := s.cfg.Messenger.SendDirect(ctx, in.to.Platform, in.to.Workspace, []string{in.to.ID}, Message(in.items, now))
		if err != nil {
			res.Failed++
			s.cfg.Logger.WarnContext(ctx, "a review reminder could not be sent", "to", key, "documents", len(in.items), "err", err)
			continue
		}
		res.Messages++
		for _, it := range in.items {
			reached[[2]string{it.Document.ID, it.Reason}] = true
		}
	}
	var sent, unsent []store.ReviewNotice
	for k, n := range mine {
		if reached[k] {
			res.Reminded++
			sent = append(sent, n)
		} else {
			unsent = append(unsent, n)
		}
	}
	// What was delivered is recorded even if ctx ends now, and so is
	// what was not.
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if len(sent) > 0 {
		if err := s.cfg.Store.MarkReviewNoticesSent(ctx, sent); err != nil {
			errs = append(errs, fmt.Errorf("reminders were sent but not recorded, and may be sent again once their claim runs out: %w", err))
		}
	}
	if len(unsent) > 0 {
		if err := s.cfg.Store.ReleaseReviewNotices(ctx, unsent); err != nil {
			errs = append(errs, fmt.Errorf("reminders that failed wait for their claim to run out: %w", err))
		}
	}
	return res, errors.Join(errs...)
}

// Message is the direct message listing items for one person. Titles and
// questions are put on one line each and shortened, but not escaped: the
// chat adapter escapes the reply's text for its platform, so that no
// document or question can mention anyone.
func Message(items []Item, now time.Time) bot.Reply {
	var due, down []Item
	for _, it := range items {
		if it.Reason == store.ReviewDue {
			due = append(due, it)
		} else {
			down = append(down, it)
		}
	}
	var b strings.Builder
	if len(items) == 1 {
		b.WriteString("A document of the knowledge base needs a look from you.\n")
	} else {
		fmt.Fprintf(&b, "%d documents of the knowledge base need a look from you.\n", len(items))
	}
	if len(due) > 0 {
		b.WriteString("\n**Due for review**\n")
		for _, it := range due {
			fmt.Fprintf(&b, "• %s, due %s", docLine(it), it.Document.ReviewBy.Format(time.DateOnly))
			if days := int(now.Sub(it.Document.ReviewBy).Hours() / 24); days > 0 {
				fmt.Fprintf(&b, " (%d days ago)", days)
			}
			b.WriteString(ownerNote(it))
			b.WriteString("\n")
		}
	}
	if len(down) > 0 {
		b.WriteString("\n**Answers citing these drew 👎 this week**\n")
		for _, it := range down {
			fmt.Fprintf(&b, "• %s: %d 👎%s\n", docLine(it), it.Downvotes, ownerNote(it))
			for _, q := range it.Questions {
				fmt.Fprintf(&b, "    – “%s”\n", q)
			}
		}
	}
	b.WriteString("\nCheck that they are still right and update what is not; a changed document gets its next review date from its review_by or its source.")
	return bot.Reply{Text: b.String()}
}

// docLine names a document: its title, collection and where it is.
func docLine(it Item) string {
	d := it.Document
	return fmt.Sprintf("%s (%s): %s", oneLine(d.Title, maxTitleRunes), oneLine(d.Collection, maxTitleRunes), oneLine(d.Source, 500))
}

// ownerNote says whose a document is when the reminder goes to reviewers.
func ownerNote(it Item) string {
	if it.Route != RouteReviewers {
		return ""
	}
	if o := oneLine(it.Document.Owner, maxTitleRunes); o != "" {
		return " — owner: " + o
	}
	return " — no owner"
}
