package engagement

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// CSV tables of a report, for spreadsheets. They hold aggregates only, as
// the report does.
var CSVTables = map[string]func(w io.Writer, r Report) error{
	"figures":   writeFiguresCSV,
	"daily":     writeDailyCSV,
	"documents": writeDocumentsCSV,
	"gaps":      writeGapsCSV,
	"breakdown": writeBreakdownCSV,
}

// CSVTableNames lists the tables of CSVTables, sorted.
func CSVTableNames() []string {
	names := make([]string, 0, len(CSVTables))
	for n := range CSVTables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func writeRows(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		for i, cell := range row {
			row[i] = spreadsheetSafe(cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// spreadsheetSafe keeps a spreadsheet from taking user text (a question,
// a title) for a formula.
func spreadsheetSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func writeFiguresCSV(w io.Writer, r Report) error {
	rows := make([][]string, 0, len(r.Figures))
	for _, f := range r.Figures {
		if f.PreviousWithheld {
			// Too few people the period before: no comparison.
			rows = append(rows, []string{f.Key, f.Label, num(f.Value), "", "", ""})
			continue
		}
		change := ""
		if f.Change != nil {
			change = num(*f.Change)
		}
		rows = append(rows, []string{f.Key, f.Label, num(f.Value), num(f.Previous), num(f.Delta), change})
	}
	return writeRows(w, []string{"metric", "label", "value", "previous", "delta", "relative_change"}, rows)
}

func writeDailyCSV(w io.Writer, r Report) error {
	rows := make([][]string, 0, len(r.Daily))
	for _, d := range r.Daily {
		if d.Withheld {
			rows = append(rows, []string{d.Day.Format("2006-01-02"), "", ""})
			continue
		}
		rows = append(rows, []string{d.Day.Format("2006-01-02"), strconv.Itoa(d.Active), strconv.Itoa(d.Questions)})
	}
	return writeRows(w, []string{"day", "active_learners", "questions"}, rows)
}

func writeDocumentsCSV(w io.Writer, r Report) error {
	var rows [][]string
	seen := map[string]bool{}
	for _, list := range [][]DocUse{r.MostUsed, r.LeastUsed, r.NeverCited} {
		for _, u := range list {
			if seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			rows = append(rows, []string{u.ID, u.Title, u.Owner, strconv.Itoa(u.Citations), strconv.Itoa(u.Unhelpful)})
		}
	}
	return writeRows(w, []string{"document", "title", "owner", "citations", "unhelpful_votes"}, rows)
}

func writeGapsCSV(w io.Writer, r Report) error {
	rows := make([][]string, 0, len(r.Gaps))
	for _, g := range r.Gaps {
		rows = append(rows, []string{g.Question, strconv.Itoa(g.Count), g.LastAsked.Format("2006-01-02"), g.Owner})
	}
	return writeRows(w, []string{"question", "count", "last_asked", "suggested_owner"}, rows)
}

func writeBreakdownCSV(w io.Writer, r Report) error {
	var rows [][]string
	for _, b := range []struct {
		by     string
		groups []Group
	}{{"platform", r.ByPlatform}, {"channel", r.ByChannel}, {"team", r.ByTeam}} {
		for _, g := range b.groups {
			rows = append(rows, []string{b.by, g.Name, strconv.Itoa(g.People), strconv.Itoa(g.Questions), strconv.Itoa(g.Answered)})
		}
	}
	return writeRows(w, []string{"by", "group", "people", "questions", "answered"}, rows)
}

// WriteCSV writes one table of r.
func WriteCSV(w io.Writer, table string, r Report) error {
	fn, ok := CSVTables[table]
	if !ok {
		return fmt.Errorf("unknown CSV table %q: want one of %v", table, CSVTableNames())
	}
	return fn(w, r)
}
