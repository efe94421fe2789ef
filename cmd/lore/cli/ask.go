package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot"
)

// askJSON is the --json shape of lore ask; later checks rely on it.
type askJSON struct {
	Answer    string         `json:"answer"`
	Confident bool           `json:"confident"`
	Citations []citationJSON `json:"citations"`
	LatencyMS int64          `json:"latency_ms"`
}

type citationJSON struct {
	DocID   string  `json:"doc_id"`
	Title   string  `json:"title"`
	Heading string  `json:"heading"`
	Source  string  `json:"source"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

func (a *app) askCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ask QUESTION",
		Short: "Answer a question from the knowledge base, with sources",
		Long: `Answer a question from the knowledge base, with numbered sources.
Exit status 0 when answered, 3 when Lore has no confident answer.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			question := strings.Join(args, " ")
			if !utf8.ValidString(question) {
				return usageErrorf("the question is not valid UTF-8 text")
			}
			if strings.TrimSpace(question) == "" {
				return usageErrorf("the question is empty: lore ask \"How do I request leave?\"")
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.knowledge.CheckQuestion(question); err != nil {
				return usageErrorf("%v", err)
			}
			start := time.Now()
			user := os.Getenv("USER")
			reply := svc.bot.Ask(cmd.Context(), bot.Message{Platform: "cli", Channel: "cli", User: user, Text: question, Direct: true})
			latency := time.Since(start)
			if asJSON {
				out := askJSON{Answer: reply.Text, Confident: reply.Grounded, LatencyMS: latency.Milliseconds(), Citations: []citationJSON{}}
				for _, c := range reply.Citations {
					out.Citations = append(out.Citations, citationJSON{DocID: c.DocID, Title: c.Title, Heading: c.Heading, Source: c.Source, Score: c.Score, Snippet: c.Snippet})
				}
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(a.io.Out, reply.Text)
				if len(reply.Citations) > 0 {
					fmt.Fprintln(a.io.Out, "\nSources:")
					for _, c := range reply.Citations {
						fmt.Fprintf(a.io.Out, "  [%d] %s\n", c.N, citationLine(c))
					}
				}
			}
			if !reply.Grounded {
				return &exitError{code: ExitNoAnswer}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

func citationLine(c bot.Citation) string {
	s := c.Title
	if c.Heading != "" {
		s += " › " + c.Heading
	}
	return s + " — " + c.Source
}
