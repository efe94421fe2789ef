package ingest

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// maxFeedItems bounds the entries read from one feed.
const maxFeedItems = 1000

// Feed is an RSS, Atom or JSON feed read by ParseFeed: one document per
// entry (a post, or a podcast episode).
type Feed struct {
	Title string
	// Podcast is set when entries carry audio or video, or the feed has
	// iTunes podcast tags.
	Podcast bool
	Items   []FeedItem
}

// FeedItem is one entry of a feed.
type FeedItem struct {
	// Source identifies and cites the entry: its link (resolved
	// against the URL the feed was read from), else its GUID when that
	// is a URL, else the feed's URL with the GUID (or the title) as
	// fragment.
	Source string
	// Formerly are the identities the entry had before, where they
	// differ from Source, so that a sync can drop a document stored
	// under one. Only an entry with a relative link has any: before such
	// links were read, it was identified as if it had no link; before
	// they were resolved against the URL the feed was read from, its
	// link was resolved against the feed's URL; and when the feed has
	// moved since it was last read, its link was resolved against where
	// the feed landed then.
	Formerly  []string
	Published time.Time
	// Media is the first audio or video enclosure (a podcast episode's
	// file), and Transcripts the episode's transcript links (Podcasting
	// 2.0 <podcast:transcript>), so an answer can point to both.
	Media       string
	Transcripts []string
	// Parsed holds the entry's title and its show notes or body as
	// chunks, with a closing "Links" section naming the media and
	// transcripts.
	Parsed Parsed
}

// ParseFeed reads a feed fetched from feedURL. Content that is not a feed
// (invalid XML, an HTML page) fails with ErrMalformed.
func ParseFeed(feedURL string, data []byte, opts Options) (Feed, error) {
	return ParseFetchedFeed(feedURL, feedURL, "", data, opts)
}

// ParseFetchedFeed reads a feed registered as feedURL whose fetch ended at
// finalURL, after redirects. Relative links are resolved against
// finalURL, where the feed was read from, as a feed reader resolves them;
// an entry without a link is identified by feedURL and its GUID or title,
// so that its identity does not move when the redirect does. landedBefore,
// when not empty, is where the feed was read from the last time: an
// entry's link resolved against it is among the entry's former
// identities when the feed has moved since.
func ParseFetchedFeed(feedURL, finalURL, landedBefore string, data []byte, opts Options) (feed Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = Feed{}, fmt.Errorf("%s: %w: %v", feedURL, ErrMalformed, r)
		}
	}()
	opts = opts.withDefaults()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(decodeXML(data, opts.Charset)))
	if err != nil {
		return Feed{}, fmt.Errorf("%s: %w: %v", feedURL, ErrMalformed, err)
	}
	feed = Feed{Title: collapseSpace(cleanText([]byte(f.Title))), Podcast: f.ITunesExt != nil}
	// Relative links (RSS has no xml:base; Atom's is applied by the
	// parser) are relative to the feed's own URL.
	base, _ := url.Parse(finalURL)
	registered, _ := url.Parse(feedURL)
	var before *url.URL
	if landedBefore != "" {
		before, _ = url.Parse(landedBefore)
	}
	seen := map[string]bool{}
	for i, it := range f.Items {
		if i == maxFeedItems {
			break
		}
		if it == nil {
			continue
		}
		item := feedItem(feedURL, base, it, opts)
		if item.Source == "" || seen[item.Source] {
			continue
		}
		item.Formerly = formerSources(feedURL, registered, before, it, item.Source)
		seen[item.Source] = true
		if item.Media != "" {
			feed.Podcast = true
		}
		feed.Items = append(feed.Items, item)
	}
	return feed, nil
}

func feedItem(feedURL string, base *url.URL, it *gofeed.Item, opts Options) FeedItem {
	item := FeedItem{Source: itemSource(feedURL, base, it)}
	if it.PublishedParsed != nil {
		item.Published = it.PublishedParsed.UTC()
	} else if it.UpdatedParsed != nil {
		item.Published = it.UpdatedParsed.UTC()
	}
	for _, enc := range it.Enclosures {
		if enc == nil {
			continue
		}
		media := webURL(base, enc.URL)
		if media == "" {
			continue
		}
		if strings.HasPrefix(enc.Type, "audio/") || strings.HasPrefix(enc.Type, "video/") {
			item.Media = media
			break
		}
	}
	item.Transcripts = transcripts(base, it.Extensions)

	notes := it.Content
	if strings.TrimSpace(notes) == "" {
		notes = it.Description
	}
	if strings.TrimSpace(notes) == "" && it.ITunesExt != nil {
		notes = it.ITunesExt.Summary
	}
	var doc document
	if notes != "" {
		// Show notes are HTML or plain text; HTML reading keeps links,
		// and plain text reads the same through it.
		doc, _ = parseHTML(item.Source, "<body>"+cleanText([]byte(notes))+"</body>")
	}
	var links outline
	links.heading(2, "Links")
	if item.Media != "" {
		links.add(kindLine, "- Episode audio: "+item.Media)
	}
	for _, t := range item.Transcripts {
		links.add(kindLine, "- Transcript: "+t)
	}
	if isWebURL(item.Source) && item.Media == "" && len(item.Transcripts) == 0 {
		links.add(kindLine, "- Read online: "+item.Source)
	}
	if !item.Published.IsZero() {
		links.add(kindLine, "- Published: "+item.Published.Format("2 January 2006"))
	}
	doc.sections = append(doc.sections, links.sections...)

	title := collapseSpace(cleanText([]byte(it.Title)))
	if title == "" {
		title = "Untitled entry"
	}
	var tags []string
	for _, c := range it.Categories {
		if c = collapseSpace(cleanText([]byte(c))); c != "" && len(tags) < 20 {
			tags = append(tags, c)
		}
	}
	var owner string
	if len(it.Authors) > 0 && it.Authors[0] != nil {
		owner = collapseSpace(cleanText([]byte(it.Authors[0].Name)))
	}
	item.Parsed = tidy(Parsed{
		Title:  title,
		Tags:   tags,
		Owner:  owner,
		Format: "feed",
		Chunks: chunkSections(doc.sections, opts),
	})
	return item
}

func itemSource(feedURL string, base *url.URL, it *gofeed.Item) string {
	if link := webURL(base, it.Link); link != "" {
		return link
	}
	return linklessSource(feedURL, it)
}

// linklessSource identifies an entry without a usable link: its GUID when
// that is a URL, else the feed's URL with the GUID (or the title) as
// fragment.
func linklessSource(feedURL string, it *gofeed.Item) string {
	guid := strings.TrimSpace(it.GUID)
	if isWebURL(guid) {
		return guid
	}
	if guid == "" {
		guid = strings.TrimSpace(it.Title)
	}
	if guid == "" {
		return ""
	}
	u, err := url.Parse(feedURL)
	if err != nil {
		return ""
	}
	u.Fragment = cleanText([]byte(guid))
	return u.String()
}

// formerSources are the identities an entry with a relative link had
// before (see FeedItem.Formerly), other than source: its link resolved
// against the feed's registered URL, its identity without a link, and,
// when before is not nil, its link resolved against where the feed landed
// the last time it was read.
func formerSources(feedURL string, registered, before *url.URL, it *gofeed.Item, source string) []string {
	link := strings.TrimSpace(it.Link)
	if link == "" || isWebURL(link) || webURL(registered, link) == "" {
		return nil // an absolute link, or none: always identified so
	}
	candidates := []string{webURL(registered, link), linklessSource(feedURL, it)}
	if before != nil {
		candidates = append(candidates, webURL(before, link))
	}
	var out []string
	for _, s := range candidates {
		if s != "" && s != source && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// transcripts finds <podcast:transcript url="..."> elements, whatever
// prefix the feed bound the namespace to.
func transcripts(base *url.URL, exts ext.Extensions) []string {
	var out []string
	for _, prefix := range slices.Sorted(maps.Keys(exts)) {
		for _, e := range exts[prefix]["transcript"] {
			if u := webURL(base, e.Attrs["url"]); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

// webURL resolves a link of a feed against base and returns it when it is
// an http or https URL, else "". A relative link ("/posts/1") used to be
// taken for no link at all: the entry lost its address, and entries told
// apart only by it collapsed into one.
func webURL(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	if isWebURL(link) {
		return link // as written: it names the entry's document
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if s := u.String(); isWebURL(s) {
		return s
	}
	return ""
}

// isWebURL reports whether s is an absolute http or https URL; links of
// other schemes (javascript:, file:) are never shown or followed.
func isWebURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
