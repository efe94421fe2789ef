// Package handbook embeds the sample company handbook that the demo loads
// when the knowledge base is empty, so that `lore chat` can answer questions
// with citations without any setup or network access.
//
// The handbook belongs to Quillfeather Labs, a fictional publishing-software
// company. Docs holds its Markdown documents under "docs/"; each document
// starts with YAML front matter (title, tags, owner, review_by) followed by
// an H1 equal to the title. Questions returns example questions with the
// documents that answer them and phrases the answer must contain, and
// Unanswerable returns questions the handbook deliberately does not answer.
// OffTopic returns more such questions, near the handbook's topics, held out
// from calibrating the no-answer threshold.
package handbook

import (
	"embed"
	"encoding/json"
	"fmt"
)

// Docs holds the handbook documents as docs/*.md.
//
//go:embed docs/*.md
var Docs embed.FS

//go:embed questions.json unanswerable.json offtopic.json
var meta embed.FS

// Synonyms is the handbook's synonym file (see knowledge.ParseSynonyms):
// the words people ask with for what the handbook calls otherwise, as a
// curator would write them from its content gaps.
//
//go:embed synonyms.txt
var Synonyms string

// Question is an example question about the handbook.
type Question struct {
	// Question is phrased the way an employee would type it in chat.
	Question string `json:"question"`
	// Docs names the file(s) under docs/ that answer it, e.g. "parental-leave.md".
	Docs []string `json:"docs"`
	// Expect lists phrases a correct answer contains.
	Expect []string `json:"expect"`
}

// Questions returns the example questions and the documents that answer them.
func Questions() ([]Question, error) {
	var qs []Question
	if err := load("questions.json", &qs); err != nil {
		return nil, err
	}
	return qs, nil
}

// Unanswerable returns questions that the handbook does not answer.
func Unanswerable() ([]string, error) {
	var qs []string
	if err := load("unanswerable.json", &qs); err != nil {
		return nil, err
	}
	return qs, nil
}

func load(name string, v any) error {
	b, err := meta.ReadFile(name)
	if err != nil {
		return fmt.Errorf("handbook: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("handbook: parse %s: %w", name, err)
	}
	return nil
}

// OffTopic returns questions employees might ask that the handbook does not
// answer, though they share its words ("company car", "building badge",
// "Christmas party"). Unlike Unanswerable, they take no part in calibrating
// the no-answer threshold, so that they measure how often Lore answers
// near-topic questions it should not.
func OffTopic() ([]string, error) {
	var qs []string
	if err := load("offtopic.json", &qs); err != nil {
		return nil, err
	}
	return qs, nil
}
