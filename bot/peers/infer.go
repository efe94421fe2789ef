package peers

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Expertise is inferred only for people who consented (Profile.
// InferConsent), from three sources:
//
//   - documents they own (store.Document.Owner is their user id or their
//     profile name): the tags of those that anyone may be answered from,
//     published documents of collections whose audience is everyone.
//     Skills are shown to whoever asks who knows a topic, and in pairing
//     introductions, so a restricted collection's or a draft's tags would
//     tell people outside its audience what it is about;
//   - help others found useful: the topics of their accepted expert
//     requests in the last helpfulWindow;
//   - tracks completed with a high quiz score, reported by the nudges
//     capability through InferFromTrack.
//
// Skills the person removed (Profile.Dismissed) and skills they declared
// are never added. Refreshing recomputes the first two sources from
// scratch, so that a skill whose collection has since been restricted goes,
// and keeps what InferFromTrack added (Profile.FromTracks).

// helpfulWindow is how far back accepted requests count as helpfulness,
// for inference and ranking alike.
const helpfulWindow = 90 * 24 * time.Hour

// MinTrackScore is the quiz score (0 to 1) from which a completed track
// adds its skills.
const MinTrackScore = 0.8

// refreshInferred recomputes p.Inferred from the engagement sources; p must
// have consented.
func (s *Service) refreshInferred(ctx context.Context, p *store.Profile) error {
	if !p.InferConsent {
		p.Inferred = nil
		return nil
	}
	owners := []string{p.User}
	if p.Name != "" {
		owners = append(owners, p.Name)
	}
	docs, err := s.openDocumentsOwnedBy(ctx, owners)
	if err != nil {
		return err
	}
	var found []string
	for _, d := range docs {
		found = append(found, d.Tags...)
	}
	reqs, err := s.store.Requests(ctx, store.RequestFilter{
		Platform: p.Platform, Workspace: p.Workspace, Expert: p.User, Status: store.RequestAccepted,
		Since: s.now().Add(-helpfulWindow),
	})
	if err != nil {
		return err
	}
	for _, r := range reqs {
		// A topic that does not parse as skills (a long question) adds
		// nothing rather than a sentence as a skill.
		if labels, err := s.skills.Parse(r.Topic); err == nil && len(labels) <= 3 {
			found = append(found, labels...)
		}
	}
	p.FromTracks = s.mergeInferred(*p, nil, p.FromTracks)
	p.Inferred = s.mergeInferred(*p, p.FromTracks, found)
	return nil
}

// CollectionSettings lists collections with their audiences; both stores
// implement it.
type CollectionSettings interface {
	ListCollections(ctx context.Context) ([]store.Collection, error)
}

// openDocumentsOwnedBy lists the published documents of owners whose
// collection is open to everyone. Without collection settings nothing can
// be told apart, and no document is used.
func (s *Service) openDocumentsOwnedBy(ctx context.Context, owners []string) ([]store.Document, error) {
	if s.collections == nil {
		return nil, nil
	}
	docs, err := s.store.DocumentsOwnedBy(ctx, owners)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	cs, err := s.collections.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	// A collection without settings is everyone's; one whose audience no
	// longer parses is closed, as in retrieval.
	closed := map[string]bool{}
	for _, c := range cs {
		if a, err := audience.Parse(c.Audience); err != nil || !a.Everyone {
			closed[c.Name] = true
		}
	}
	return slices.DeleteFunc(docs, func(d store.Document) bool {
		return closed[d.Collection] || d.Status == store.StatusDraft
	}), nil
}

// refreshSaved infers p's skills again and saves the profile when they
// changed; p must have consented.
func (s *Service) refreshSaved(ctx context.Context, p *store.Profile) error {
	before := slices.Clone(p.Inferred)
	if err := s.refreshInferred(ctx, p); err != nil {
		return err
	}
	if slices.Equal(before, p.Inferred) {
		return nil
	}
	p.UpdatedAt = s.now()
	return s.store.PutProfile(ctx, *p)
}

// mergeInferred adds the labels of found to kept, leaving out what the
// person declared or dismissed and duplicates; at most MaxSkills.
func (s *Service) mergeInferred(p store.Profile, kept, found []string) []string {
	skip := map[string]bool{}
	for _, l := range slices.Concat(p.CanHelp, p.Dismissed) {
		skip[Key(l)] = true
	}
	var out []string
	for _, raw := range slices.Concat(kept, found) {
		l := s.skills.Label(raw)
		if l == "" || len(l) > MaxSkillLen || skip[Key(l)] || len(out) >= MaxSkills {
			continue
		}
		skip[Key(l)] = true
		out = append(out, l)
	}
	return out
}

// InferFromTrack is the hook for the nudges capability: a person finished
// a learning track with quiz score (0 to 1). With their consent and a
// score of at least MinTrackScore, the track's skills join their inferred
// skills. It reports whether the profile changed. The caller reports only
// tracks whose audience is everyone, for the reason documents of
// restricted collections add no skill.
func (s *Service) InferFromTrack(ctx context.Context, who store.PersonKey, skills []string, score float64) (bool, error) {
	if score < MinTrackScore {
		return false, nil
	}
	p, err := s.store.Profile(ctx, who)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || !p.InferConsent {
		return false, err
	}
	merged := s.mergeInferred(p, p.Inferred, skills)
	if slices.Equal(merged, p.Inferred) {
		return false, nil
	}
	p.Inferred = merged
	for _, l := range merged {
		if slices.ContainsFunc(skills, func(sk string) bool { return Key(s.skills.Label(sk)) == Key(l) }) && !slices.Contains(p.FromTracks, l) {
			p.FromTracks = append(p.FromTracks, l)
		}
	}
	p.UpdatedAt = s.now()
	return true, s.store.PutProfile(ctx, p)
}
