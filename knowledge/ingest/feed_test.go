package ingest

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/sources/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFeedPodcastEpisodes(t *testing.T) {
	feed, err := ParseFeed("https://podcast.quillfeather.example/feed.xml", readTestdata(t, "podcast.xml"), Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if feed.Title != "Quillfeather Engineering Hour" || !feed.Podcast || len(feed.Items) != 2 {
		t.Fatalf("feed %q podcast %v with %d items", feed.Title, feed.Podcast, len(feed.Items))
	}
	ep := feed.Items[0]
	if ep.Source != "https://podcast.quillfeather.example/12-incident-reviews" ||
		ep.Media != "https://cdn.quillfeather.example/eng-12.mp3" ||
		len(ep.Transcripts) != 1 || ep.Transcripts[0] != "https://podcast.quillfeather.example/12/transcript.vtt" {
		t.Errorf("episode %+v", ep)
	}
	if !ep.Published.Equal(time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("published %v", ep.Published)
	}
	if ep.Parsed.Title != "Episode 12: How we run incident reviews" || len(ep.Parsed.Tags) != 1 || ep.Parsed.Tags[0] != "Incidents" {
		t.Errorf("parsed %q %v", ep.Parsed.Title, ep.Parsed.Tags)
	}
	text := chunkText(ep.Parsed)
	for _, want := range []string{"blameless postmortem", "five working days",
		"Episode audio: https://cdn.quillfeather.example/eng-12.mp3",
		"Transcript: https://podcast.quillfeather.example/12/transcript.vtt",
		"https://handbook.quillfeather.example/incident-postmortems", "Published: 4 March 2025"} {
		if !strings.Contains(text, want) {
			t.Errorf("episode text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(chunkText(feed.Items[1].Parsed), "forty a day") {
		t.Errorf("iTunes summary not used as show notes: %s", chunkText(feed.Items[1].Parsed))
	}
}

func TestParseFeedAtom(t *testing.T) {
	feed, err := ParseFeed("https://blog.quillfeather.example/atom", readTestdata(t, "blog.atom"), Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if feed.Podcast || len(feed.Items) != 2 {
		t.Fatalf("podcast %v, %d items", feed.Podcast, len(feed.Items))
	}
	post := feed.Items[0]
	if post.Source != "https://blog.quillfeather.example/learning-budget-2025" || post.Parsed.Owner != "Dana Okafor" ||
		!strings.Contains(chunkText(post.Parsed), "1,500 euros") {
		t.Errorf("post %+v", post)
	}
	// Without a link, the entry is identified by the feed URL and its id.
	if got := feed.Items[1].Source; got != "https://blog.quillfeather.example/atom#urn:uuid:no-link-entry" {
		t.Errorf("linkless entry source %q", got)
	}
}

func TestParseFeedBadInput(t *testing.T) {
	for name, data := range map[string][]byte{
		"invalid XML":  readTestdata(t, "broken-feed.xml"),
		"HTML page":    []byte("<!DOCTYPE html><html><body><p>not a feed</p></body></html>"),
		"empty":        nil,
		"binary":       {0x00, 0x01, 0xff, 0xfe},
		"unclosed tag": []byte("<rss><channel><item><title>a"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseFeed("https://example.com/feed", data, Options{}); !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want %v", err, ErrMalformed)
			}
		})
	}
}

func TestParseFeedDropsUnsafeLinks(t *testing.T) {
	data := []byte(`<rss version="2.0"><channel><title>t</title><item><title>x</title><link>javascript:alert(1)</link>
		<guid>g1</guid><enclosure url="file:///etc/passwd" type="audio/mpeg"/><description>notes</description></item></channel></rss>`)
	feed, err := ParseFeed("https://example.com/feed", data, Options{})
	if err != nil || len(feed.Items) != 1 {
		t.Fatalf("%+v, %v", feed, err)
	}
	it := feed.Items[0]
	if it.Source != "https://example.com/feed#g1" || it.Media != "" || strings.Contains(chunkText(it.Parsed), "file:") {
		t.Errorf("unsafe links kept: %+v", it)
	}
}

func chunkText(p Parsed) string {
	var b strings.Builder
	for _, c := range p.Chunks {
		b.WriteString(c.Heading + ": " + c.Text + "\n")
	}
	return b.String()
}

// Relative links were taken for no link: an RSS entry lost its address
// (cited as the feed's URL and its title), and two entries of the same
// title collapsed into one, the second lost.
func TestParseFeedResolvesRelativeLinks(t *testing.T) {
	data := []byte(`<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Team news</title>
		<item><title>Weekly update</title><link>/blog/week-1</link><description>Week one: the new VPN is live.</description></item>
		<item><title>Weekly update</title><link>week-2</link><description>Week two: laptops are refreshed.</description>
			<enclosure url="media/week-2.mp3" type="audio/mpeg"/><podcast:transcript url="/media/week-2.vtt" type="text/vtt"/></item>
		<item><title>Elsewhere</title><link>https://other.example/post</link><description>An absolute link stays as written.</description></item>
		<item><title>Script</title><link>javascript:alert(1)</link><guid>g-script</guid><description>Not a web link.</description></item>
	</channel></rss>`)
	feed, err := ParseFeed("https://news.example.com/blog/feed.xml", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range feed.Items {
		got = append(got, it.Source)
	}
	want := []string{
		"https://news.example.com/blog/week-1",
		"https://news.example.com/blog/week-2",
		"https://other.example/post",
		"https://news.example.com/blog/feed.xml#g-script",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sources %q, want %q", got, want)
	}
	w2 := feed.Items[1]
	if w2.Media != "https://news.example.com/blog/media/week-2.mp3" || !slices.Equal(w2.Transcripts, []string{"https://news.example.com/media/week-2.vtt"}) {
		t.Errorf("media %q, transcripts %q", w2.Media, w2.Transcripts)
	}
	if text := chunkText(feed.Items[0].Parsed); !strings.Contains(text, "Read online: https://news.example.com/blog/week-1") {
		t.Errorf("first entry's links: %s", text)
	}

	atom := []byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>B</title>
		<entry><title>One</title><id>tag:b,1</id><link href="posts/one"/><summary>First post.</summary></entry></feed>`)
	feed, err = ParseFeed("https://b.example/atom.xml", atom, Options{})
	if err != nil || len(feed.Items) != 1 || feed.Items[0].Source != "https://b.example/posts/one" {
		t.Errorf("atom: %+v, %v", feed.Items, err)
	}
}

// A feed read from where its URL redirects resolves its relative links
// there, as a feed reader does; an entry without a link keeps the
// registered URL in its identity. An entry with a relative link names the
// identities it had before, for a sync to drop documents stored under
// them.
func TestParseFetchedFeedResolvesLinksWhereTheFeedWasRead(t *testing.T) {
	data := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Team news</title>
		<item><title>Weekly update</title><link>week-1</link><description>Week one: the new VPN is live.</description>
			<enclosure url="media/week-1.mp3" type="audio/mpeg"/></item>
		<item><title>Laptops</title><link>/news/laptops</link><guid isPermaLink="false">g-laptops</guid><description>Laptops are refreshed.</description></item>
		<item><title>Elsewhere</title><link>https://other.example/post</link><description>An absolute link stays as written.</description></item>
		<item><title>No link</title><guid isPermaLink="false">g-nolink</guid><description>Identified by the GUID.</description></item>
	</channel></rss>`)
	const registered, final = "http://example.com/feed", "https://blog.example.com/news/feed.xml"
	feed, err := ParseFetchedFeed(registered, final, "", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		source   string
		formerly []string
	}
	want := []entry{
		{"https://blog.example.com/news/week-1", []string{"http://example.com/week-1", "http://example.com/feed#Weekly%20update"}},
		{"https://blog.example.com/news/laptops", []string{"http://example.com/news/laptops", "http://example.com/feed#g-laptops"}},
		{"https://other.example/post", nil},
		{"http://example.com/feed#g-nolink", nil},
	}
	if len(feed.Items) != len(want) {
		t.Fatalf("%d entries, want %d", len(feed.Items), len(want))
	}
	for i, w := range want {
		it := feed.Items[i]
		if it.Source != w.source || !slices.Equal(it.Formerly, w.formerly) {
			t.Errorf("entry %d: %q, formerly %q; want %q, formerly %q", i, it.Source, it.Formerly, w.source, w.formerly)
		}
	}
	if m := feed.Items[0].Media; m != "https://blog.example.com/news/media/week-1.mp3" {
		t.Errorf("media %q, want it resolved where the feed was read", m)
	}

	// Not redirected: the link resolved against the feed's URL is the
	// entry's identity, and only the one before links were read is
	// former.
	feed, err = ParseFeed(final, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if it := feed.Items[0]; it.Source != "https://blog.example.com/news/week-1" || !slices.Equal(it.Formerly, []string{"https://blog.example.com/news/feed.xml#Weekly%20update"}) {
		t.Errorf("not redirected: %q, formerly %q", it.Source, it.Formerly)
	}

	// Moved again: the link resolved where the feed landed before is
	// former too, unless it is where the feed landed now.
	const moved = "https://www.example.com/blog/rss"
	for before, want := range map[string][]string{
		final: {"http://example.com/week-1", "http://example.com/feed#Weekly%20update", "https://blog.example.com/news/week-1"},
		moved: {"http://example.com/week-1", "http://example.com/feed#Weekly%20update"},
		"":    {"http://example.com/week-1", "http://example.com/feed#Weekly%20update"},
	} {
		feed, err = ParseFetchedFeed(registered, moved, before, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if it := feed.Items[0]; it.Source != "https://www.example.com/blog/week-1" || !slices.Equal(it.Formerly, want) {
			t.Errorf("moved from %q: %q, formerly %q; want formerly %q", before, it.Source, it.Formerly, want)
		}
		if it := feed.Items[2]; len(it.Formerly) != 0 {
			t.Errorf("moved from %q: the absolute link has former identities %q", before, it.Formerly)
		}
	}
}
