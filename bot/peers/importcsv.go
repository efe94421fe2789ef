package peers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/store"
)

// Profile import reads a CSV file (a spreadsheet or an HR export) with a
// header row. Columns are matched by name, in any order, case and
// punctuation ignored; other columns are ignored, so an HR export can be
// used as it is:
//
//	user (or user_id, slack_id, discord_id, id)  required: the chat user id
//	platform, workspace                          default: given to the import
//	name (full_name), team (department)
//	timezone (time_zone, tz)                     an IANA name: Europe/Paris
//	hours (working_hours)                        09:00-17:00
//	can_help (expertise, skills)                 a list: "go; negotiation"
//	learning (learning_goals, interests)
//	available (open_to_requests)                 yes/no, true/false, 1/0
//
// A cell left empty keeps what the profile already holds; inferred skills,
// consent, blocks and snoozes are never touched by an import.

// importColumns maps header names (lower case, letters only) to fields.
var importColumns = map[string]string{
	"user": "user", "userid": "user", "slackid": "user", "discordid": "user", "id": "user", "chatid": "user",
	"platform": "platform", "workspace": "workspace",
	"name": "name", "fullname": "name", "displayname": "name",
	"team": "team", "department": "team",
	"timezone": "timezone", "tz": "timezone",
	"hours": "hours", "workinghours": "hours",
	"canhelp": "can_help", "canhelpwith": "can_help", "expertise": "can_help", "skills": "can_help",
	"learning": "learning", "learninggoals": "learning", "interests": "learning", "wantstolearn": "learning",
	"available": "available", "opentorequests": "available",
}

// MaxImportRows bounds one import; larger files are split by the admin.
const MaxImportRows = 100_000

// ImportRow is one line of a profile import: the profile fields the line
// sets (Set names them) and where it came from.
type ImportRow struct {
	Line    int
	Profile store.Profile
	Set     map[string]bool
}

// LineError is a problem with one line of an import.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ReadProfilesCSV reads an import file. def gives the platform and
// workspace of rows whose file has no such column. It returns the good
// rows and one error per bad line (a *LineError), or a single error when
// the file as a whole cannot be read.
func (s *Skills) ReadProfilesCSV(r io.Reader, def store.PersonKey) ([]ImportRow, []error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, []error{errors.New("the file is empty: it needs a header row naming a user column")}
	}
	if err != nil {
		return nil, []error{fmt.Errorf("header: %w", err)}
	}
	cols := map[int]string{}
	have := map[string]bool{}
	for i, h := range header {
		key := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(strings.TrimPrefix(h, "\ufeff")))
		if f, ok := importColumns[key]; ok && !have[f] {
			cols[i], have[f] = f, true
		}
	}
	if !have["user"] {
		return nil, []error{errors.New("the header has no user column (user, user_id, slack_id, discord_id or id)")}
	}
	var rows []ImportRow
	var errs []error
	seen := map[store.PersonKey]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return rows, append(errs, err)
			}
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				errs = append(errs, &LineError{Line: pe.Line, Msg: pe.Err.Error()})
				continue
			}
			// A broken quote makes the rest of the file unreadable.
			return rows, append(errs, &LineError{Line: pe.Line, Msg: fmt.Sprintf("column %d: %v; the rest of the file was not read", pe.Column, pe.Err)})
		}
		line, _ := cr.FieldPos(0)
		if len(rows)+len(errs) >= MaxImportRows {
			return rows, append(errs, fmt.Errorf("more than %d rows: split the file", MaxImportRows))
		}
		row, lerr := s.importRow(line, rec, cols, def)
		if lerr != nil {
			errs = append(errs, lerr)
			continue
		}
		if first, dup := seen[row.Profile.PersonKey]; dup {
			errs = append(errs, &LineError{Line: line, Msg: fmt.Sprintf("user %s is already on line %d", row.Profile.User, first)})
			continue
		}
		seen[row.Profile.PersonKey] = line
		rows = append(rows, row)
	}
	return rows, errs
}

func (s *Skills) importRow(line int, rec []string, cols map[int]string, def store.PersonKey) (ImportRow, error) {
	row := ImportRow{Line: line, Profile: store.Profile{PersonKey: def}, Set: map[string]bool{}}
	bad := func(format string, args ...any) (ImportRow, error) {
		return ImportRow{}, &LineError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i, v := range rec {
		field, ok := cols[i]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return bad("%s is not valid text", field)
		}
		if v == "" {
			continue
		}
		if len(v) > 2000 {
			return bad("%s is longer than 2000 bytes", field)
		}
		p := &row.Profile
		switch field {
		case "user", "platform", "workspace", "name", "team":
			if len(v) > maxProfileText {
				return bad("%s is longer than %d characters", field, maxProfileText)
			}
			switch field {
			case "user":
				p.User = v
			case "platform":
				p.Platform = strings.ToLower(v)
			case "workspace":
				p.Workspace = v
			case "name":
				p.Name = strings.Join(strings.Fields(v), " ")
			case "team":
				p.Team = strings.Join(strings.Fields(v), " ")
			}
		case "timezone":
			if _, err := time.LoadLocation(v); err != nil || v == "Local" {
				return bad("unknown time zone %q (use a name such as Europe/Paris)", v)
			}
			p.TimeZone = v
		case "hours":
			start, end, ok := parseHours(v)
			if !ok {
				return bad("hours %q are not like 09:00-17:00", v)
			}
			p.WorkStart, p.WorkEnd = start, end
		case "can_help", "learning":
			list, err := s.Parse(v)
			if err != nil {
				return bad("%s: %v", field, err)
			}
			if field == "can_help" {
				p.CanHelp = list
			} else {
				p.Learning = list
			}
		case "available":
			on, ok := onOff(strings.NewReplacer("1", "yes", "0", "no").Replace(strings.ToLower(v)))
			if !ok {
				return bad("available is %q, not yes or no", v)
			}
			p.Available = on
		}
		row.Set[field] = true
	}
	if row.Profile.User == "" {
		return bad("no user")
	}
	if row.Profile.Platform == "" {
		return bad("no platform: add a platform column or give one to the import")
	}
	return row, nil
}

// apply copies the fields row sets onto p.
func (row ImportRow) apply(p *store.Profile) {
	src := row.Profile
	for field := range row.Set {
		switch field {
		case "name":
			p.Name = src.Name
		case "team":
			p.Team = src.Team
		case "timezone":
			p.TimeZone = src.TimeZone
		case "hours":
			p.WorkStart, p.WorkEnd = src.WorkStart, src.WorkEnd
		case "can_help":
			p.CanHelp = src.CanHelp
		case "learning":
			p.Learning = src.Learning
		case "available":
			p.Available = src.Available
		}
	}
}

// ImportResult counts what an import did.
type ImportResult struct{ Created, Updated int }

// ImportProfiles stores rows, merging each into the person's profile.
// Rows are written one by one; after a failure, running the same import
// again finishes it without changing what was already written.
func ImportProfiles(ctx context.Context, st store.Peers, rows []ImportRow, now time.Time) (ImportResult, error) {
	var res ImportResult
	for _, row := range rows {
		p, err := st.Profile(ctx, row.Profile.PersonKey)
		switch {
		case errors.Is(err, store.ErrNotFound):
			p = store.Profile{PersonKey: row.Profile.PersonKey}
			res.Created++
		case err != nil:
			return res, fmt.Errorf("line %d: %w", row.Line, err)
		default:
			res.Updated++
		}
		row.apply(&p)
		p.UpdatedAt = now
		if err := st.PutProfile(ctx, p); err != nil {
			return res, fmt.Errorf("line %d: %w", row.Line, err)
		}
	}
	return res, nil
}
