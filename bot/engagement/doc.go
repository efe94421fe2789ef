// Package engagement turns Lore's engagement log into the data leaders
// use to decide which learning content to keep, expand or drop.
//
// # Statements
//
// Every event is also an xAPI 1.0.3 statement (Mapper.Statement), built
// from a table with one row per event kind (Kinds): the ADL verb, the
// activity type and where the activity id comes from. A kind added by a
// new capability plugs in with one more row. The actor is an opaque
// account: homePage names the workspace and name is a pseudonym, an HMAC
// of the platform user id under a configured key, so that an LRS never
// learns who asked what. Statements are immutable; a correction is a
// voiding statement (Mapper.Void). Recorder writes the event and its
// statement together and honours analytics opt-outs.
//
// # Metrics
//
// Compute derives the figures of a period (active learners, questions,
// answer rate, helpfulness, topics, content gaps, document use, nudges,
// quizzes, tracks, introductions) and their change from the previous
// period. A period is whole UTC days that are over (CheckPeriod), and each
// day is a cell: its events count only when K people were active on it,
// so that two overlapping periods, subtracted, give whole days of K
// people or more, never one person's. Each day's breakdowns go through
// suppress, which hides groups of fewer than K people that day, including
// a small group that could be recovered by subtracting the others from a
// total. A quoted content gap needs K different askers, and a day of the
// chart K people.
//
// # Digests
//
// BuildDigest condenses a Report into the weekly digest for leaders: five
// headline figures with their week-over-week change, an eight-week chart
// (PNG, drawn with gonum/plot), the top content gaps with a suggested
// owner and the documents to review. It renders as text, JSON or a
// platform-neutral bot.Reply that each chat adapter draws natively.
package engagement
