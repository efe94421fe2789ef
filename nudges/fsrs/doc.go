// Package fsrs decides when a quiz card comes back for review, using FSRS-6,
// the sixth version of the Free Spaced Repetition Scheduler.
//
// # Model
//
// FSRS describes what a learner remembers of a card with two numbers:
//
//   - Stability S, in days: the time after which the chance of recalling the
//     card has fallen to 90%.
//   - Difficulty D, from 1 (easy) to 10 (hard): how much a successful review
//     can raise S.
//
// The chance of recall t days after the last review, the retrievability, is
// the power forgetting curve
//
//	R(t, S) = (1 + F·t/S)^(−w20),  F = 0.9^(−1/w20) − 1
//
// where F is chosen so that R(S, S) = 0.9 whatever the decay w20 is.
// Inverting it gives the interval that lets R fall to the desired retention r:
//
//	I(r, S) = S/F · (r^(−1/w20) − 1)
//
// which equals S when r is 0.9.
//
// After each review, rated Again, Hard, Good or Easy (G = 1..4):
//
//   - The first review sets S0 = w[G−1] and D0 = w4 − e^(w5·(G−1)) + 1.
//   - A successful review (Hard, Good, Easy) multiplies S by
//     1 + e^w8 · (11−D) · S^(−w9) · (e^(w10·(1−R)) − 1), times w15 for Hard
//     or w16 for Easy: the lower R was, the more S grows.
//   - A lapse (Again) replaces S by w11 · D^(−w12) · ((S+1)^w13 − 1) ·
//     e^(w14·(1−R)), never more than the old S.
//   - D moves by −w6·(G−3), damped by (10−D)/9 so it approaches 10 slowly,
//     and reverts towards D0(Easy) with weight w7.
//
// The next interval is I(r, S) rounded to whole days, at least one day and at
// most [Parameters.MaximumInterval]. The four ratings' intervals are then
// made strictly increasing (Again ≤ Hard < Good < Easy), so a learner who
// answers with more confidence never sees the card sooner.
//
// # Scope
//
// Cards come back in chat, where a card returning after ten minutes would be
// noise, so this package implements only long-term scheduling: there are no
// learning steps (every review leads to the review state and schedules whole
// days), no same-day stability formula (w17..w19 are validated but unused),
// and no fuzz, which keeps schedules reproducible in tests. Days are counted
// as UTC calendar days, as the reference implementation does.
//
// The equations follow the published algorithm,
// https://github.com/open-spaced-repetition/fsrs4anki/wiki/The-Algorithm,
// and the results match ts-fsrs 5.x with enable_short_term=false and
// enable_fuzz=false, including its rounding of intermediate values to eight
// decimals; the tests replay reference schedules produced by ts-fsrs.
package fsrs
