package nudges

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// PublishResult says what loading one track did.
type PublishResult struct {
	Track   track.Track
	Version int
	New     bool // false: unchanged since the last load
}

// Publish stores tracks as new versions where their content changed.
// Progress is kept by card id, so learners keep theirs across versions.
func (s *Service) Publish(ctx context.Context, tracks []track.Track) ([]PublishResult, error) {
	out := make([]PublishResult, 0, len(tracks))
	for _, t := range tracks {
		content, err := json.Marshal(t)
		if err != nil {
			return out, err
		}
		v, isNew, err := s.st.PublishTrack(ctx, store.TrackVersion{TrackID: t.ID, Hash: t.Hash(), Title: t.Title,
			Draft: t.Draft, Content: content, LoadedAt: s.now()})
		if err != nil {
			return out, fmt.Errorf("publish track %s: %w", t.ID, err)
		}
		out = append(out, PublishResult{Track: t, Version: v.Version, New: isNew})
	}
	return out, nil
}

// Version is a stored track version, decoded.
type Version struct {
	track.Track
	Version int
	Draft   bool
}

func decode(v store.TrackVersion) (Version, error) {
	var t track.Track
	if err := json.Unmarshal(v.Content, &t); err != nil {
		return Version{}, fmt.Errorf("track %s version %d: %w", v.TrackID, v.Version, err)
	}
	return Version{Track: t, Version: v.Version, Draft: v.Draft}, nil
}

// Tracks returns the latest version of every track, drafts included.
func (s *Service) Tracks(ctx context.Context) ([]Version, error) {
	vs, err := s.st.Tracks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(vs))
	for _, v := range vs {
		d, err := decode(v)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// trackCache keeps decoded track versions: a version never changes once
// stored, so only "latest" lookups go to the database.
type trackCache struct {
	st Store
	mu sync.Mutex
	m  map[string]Version // "id@version"
}

func newTrackCache(st Store) *trackCache { return &trackCache{st: st, m: map[string]Version{}} }

// get returns a version, the latest when version is 0.
func (c *trackCache) get(ctx context.Context, id string, version int) (Version, error) {
	key := fmt.Sprintf("%s@%d", id, version)
	if version > 0 {
		c.mu.Lock()
		v, ok := c.m[key]
		c.mu.Unlock()
		if ok {
			return v, nil
		}
	}
	sv, err := c.st.TrackVersion(ctx, id, version)
	if err != nil {
		return Version{}, err
	}
	d, err := decode(sv)
	if err != nil {
		return Version{}, err
	}
	c.mu.Lock()
	c.m[fmt.Sprintf("%s@%d", id, d.Version)] = d
	c.mu.Unlock()
	return d, nil
}
