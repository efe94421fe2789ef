package knowledge_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
)

// askFrom loads files into a fresh service and asks it question, which
// must be answered.
func askFrom(t *testing.T, files map[string]string, question string) knowledge.Answer {
	t.Helper()
	svc, _ := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, files)
	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}})
	ans, err := svc.Ask(t.Context(), question)
	if err != nil {
		t.Fatalf("Ask(%q): %v", question, err)
	}
	if !ans.Confident || len(ans.Citations) == 0 {
		t.Fatalf("Ask(%q) is not answered: %q", question, ans.Text)
	}
	return ans
}

// A document of several level-1 headings is titled by the first, which a
// citation shows once: "Quokka Onboarding › Quokka Onboarding" repeats it.
func TestCitationHeadingDoesNotRepeatTitle(t *testing.T) {
	t.Parallel()
	files := map[string]string{"quokka.md": `# Quokka Onboarding

Quokka onboarding starts on Monday with a quokka welcome breakfast.

## Quokka buddies

Every quokka newcomer gets a quokka buddy from another team.

# Quokka Offboarding

Quokka offboarding ends with returning the quokka badge to reception.
`}
	for _, tt := range []struct{ question, heading string }{
		{"when does quokka onboarding start with the welcome breakfast?", ""},
		{"who is my quokka buddy from another team?", "Quokka buddies"},
		{"how does quokka offboarding end?", "Quokka Offboarding"},
	} {
		ans := askFrom(t, files, tt.question)
		c := ans.Citations[0]
		if c.Title != "Quokka Onboarding" || c.Heading != tt.heading {
			t.Errorf("%q cites %q › %q, want %q › %q", tt.question, c.Title, c.Heading, "Quokka Onboarding", tt.heading)
		}
	}
}

// A sentence that introduces a list or a table ("follow these steps:")
// says nothing without it: it is quoted with the list's items or the
// table's rows, one a line, and the citation follows the last of them.
func TestAnswerQuotesListWithItsLeadIn(t *testing.T) {
	t.Parallel()
	files := map[string]string{"flights.md": `# Zebrafish travel

## Booking flights

To book a zebrafish flight, follow these steps:

1. Open the [booking portal](https://travel.example.com/book) and sign in.
2. Choose **economy** unless the flight is longer than 6.5 hours.
   - Premium economy is allowed for flights over 6.5 hours.
3. Submit the request for approval.

## Per diem rates

The per diem rates of zebrafish trips are listed below:

| City | Rate |
|------|------|
| London | 85.50 GBP |
| Paris | 90 EUR |

## Emergency numbers

- Zebrafish security answers on 555-0100 day and night.
- First aid answers on 555-0199.
`}
	tests := []struct{ question, want string }{
		{"how do I book a zebrafish flight?", "To book a zebrafish flight, follow these steps:\n" +
			"1. Open the booking portal (https://travel.example.com/book) and sign in.\n" +
			"2. Choose economy unless the flight is longer than 6.5 hours.\n" +
			"  - Premium economy is allowed for flights over 6.5 hours.\n" +
			"3. Submit the request for approval. [1]"},
		{"what are the per diem rates of zebrafish trips?", "The per diem rates of zebrafish trips are listed below:\n" +
			"City | Rate\nLondon | 85.50 GBP\nParis | 90 EUR [1]"},
		// An item quoted on its own is a sentence, without its marker.
		{"when does zebrafish security answer?", "Zebrafish security answers on 555-0100 day and night. [1]"},
	}
	for _, tt := range tests {
		ans := askFrom(t, files, tt.question)
		if !strings.Contains(ans.Text, tt.want) {
			t.Errorf("%q is answered\n%s\nwant it to quote\n%s", tt.question, ans.Text, tt.want)
		}
	}
}

// A table without a sentence before it is quoted row by row under its
// header, not as one run-on line of cells.
func TestAnswerQuotesTableRowsOnLines(t *testing.T) {
	t.Parallel()
	files := map[string]string{"ladder.md": `# Career ladder

## Individual contributor levels

| Level | Engineering title |
|---|---|
| L3 | Senior Engineer |
| L4 | Staff Engineer |
| L5 | Principal Engineer |
`}
	ans := askFrom(t, files, "what level is a staff engineer?")
	want := "Level | Engineering title\nL3 | Senior Engineer\nL4 | Staff Engineer\nL5 | Principal Engineer [1]"
	if ans.Text != want {
		t.Errorf("answer\n%s\nwant\n%s", ans.Text, want)
	}
}

// A list too long for a chat answer (over 700 characters or 12 items)
// keeps its lead-in and the items that answer the question, in their
// order, and shows where items are left out.
func TestAnswerShortensLongListKeepingMatchingItems(t *testing.T) {
	t.Parallel()
	var list strings.Builder
	list.WriteString("# Holidays\n\nThe office observes these public holidays every year:\n\n")
	for i := range 36 {
		fmt.Fprintf(&list, "- Regional day number %d\n", i+1)
	}
	list.WriteString("- Christmas Day (25 December)\n- The last regional day of the calendar\n")
	ans := askFrom(t, map[string]string{"holidays.md": list.String()}, "does the office observe Christmas as a public holiday?")
	body := answerBody(ans.Text)
	if len(body) > 700+len("…") {
		t.Errorf("answer is %d bytes, want at most about 700:\n%s", len(body), ans.Text)
	}
	for _, want := range []string{"The office observes these public holidays every year:\n- ", "\n…\n- Christmas Day (25 December)\n… [1]"} {
		if !strings.Contains(ans.Text, want) {
			t.Errorf("answer\n%s\ndoes not contain %q", ans.Text, want)
		}
	}
	if n := strings.Count(ans.Text, "\n- "); n > 12 {
		t.Errorf("answer quotes %d items, want at most 12:\n%s", n, ans.Text)
	}
}

// A code block is quoted whole, fenced, after the sentence that says what
// it is for, with the citation on a line of its own after it: never as
// sentences glued into prose, never cut where a dot is followed by a
// capital, and with the brackets of the code kept.
func TestAnswerQuotesCodeBlockWithItsLeadIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, src, question, want string
	}{
		{
			name: "Markdown",
			file: "pods.md",
			src: "# Kestrel cluster\n\n## Listing pods\n\n" +
				"To list the kestrel pods in production, run the following. It needs the prod context [2].\n\n" +
				"```sh\nkubectl get pods -n kestrel-prod\ngit commit -m \"Fix pods. Update docs\" # hosts[1]\n```\n\n" +
				"Pods restart on their own.\n",
			question: "how do I list the kestrel pods in production?",
			want: "To list the kestrel pods in production, run the following. It needs the prod context.\n" +
				"```\nkubectl get pods -n kestrel-prod\ngit commit -m \"Fix pods. Update docs\" # hosts[1]\n```\n[1]",
		},
		{
			name: "HTML pre",
			file: "vpn.html",
			src: "<title>Kestrel VPN</title><h2>Restarting</h2><p>To restart the kestrel VPN client on Linux:</p>" +
				"<pre><code>sudo systemctl restart kestrel-vpn\nkestrel-vpn status</code></pre><p>It takes a minute.</p>",
			question: "how do I restart the kestrel VPN client on Linux?",
			want:     "To restart the kestrel VPN client on Linux:\n```\nsudo systemctl restart kestrel-vpn\nkestrel-vpn status\n```\n[1]",
		},
		{
			name: "code of a list item",
			file: "setup.md",
			src: "# Kestrel setup\n\n## Steps\n\nSet up the kestrel CLI as follows:\n\n" +
				"1. Install the kestrel CLI:\n\n   ```\n   brew install kestrel\n   ```\n\n2. Sign in with your account.\n",
			question: "how do I set up the kestrel CLI?",
			want:     "Set up the kestrel CLI as follows:\n1. Install the kestrel CLI:\n  ```\n  brew install kestrel\n  ```\n2. Sign in with your account. [1]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans := askFrom(t, map[string]string{tt.file: tt.src}, tt.question)
			if !strings.Contains(ans.Text, tt.want) {
				t.Errorf("%q is answered\n%s\nwant it to quote\n%s", tt.question, ans.Text, tt.want)
			}
			if len(ans.Citations) != 1 || !strings.HasSuffix(ans.Citations[0].Source, tt.file) {
				t.Errorf("citations %+v, want %s alone", ans.Citations, tt.file)
			}
			if snip := ans.Citations[0].Snippet; strings.Contains(snip, "```") {
				t.Errorf("snippet %q shows the fences", snip)
			}
		})
	}
}

// Code too long for a chat message is not quoted, in part or in pieces:
// the answer quotes the sentence before it, and the citation leads to the
// rest.
func TestAnswerDoesNotQuoteLongCodeInPieces(t *testing.T) {
	t.Parallel()
	script := func(lines int) string {
		var b strings.Builder
		for i := range lines {
			fmt.Fprintf(&b, "kestrel-migrate --ledger shard-%02d --verify. Then Continue\n", i)
		}
		return b.String()
	}
	for _, tt := range []struct {
		name, file, src string
	}{
		// Too long to quote, short enough for one chunk.
		{"Markdown", "migrate.md", "# Kestrel ledger\n\n## Migration\n\nThe kestrel ledger migration runs this script.\n\n```\n" + script(14) + "```\n"},
		{"HTML pre", "migrate.html", "<title>Kestrel ledger</title><h2>Migration</h2><p>The kestrel ledger migration runs this script.</p><pre>" + script(14) + "</pre>"},
		// Longer than a chunk: its parts are not quoted either.
		{"Markdown over several chunks", "migrate.md", "# Kestrel ledger\n\n## Migration\n\nThe kestrel ledger migration runs this script.\n\n```\n" + script(60) + "```\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := askFrom(t, map[string]string{tt.file: tt.src}, "how does the kestrel ledger migration verify shards?")
			if strings.Contains(ans.Text, "kestrel-migrate") || strings.Contains(ans.Text, "```") {
				t.Errorf("answer quotes the code:\n%s", ans.Text)
			}
			if !strings.Contains(ans.Text, "The kestrel ledger migration runs this script. [1]") {
				t.Errorf("answer\n%s\ndoes not quote the sentence before the code", ans.Text)
			}
		})
	}
}
