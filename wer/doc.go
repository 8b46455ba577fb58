// Package wer scores speech recognition output against reference text: text
// normalization (Normalize), word-level Levenshtein alignment (Align,
// AlignOps, Counts), the assignment of result segments to reference
// sentences (SplitSentences, ScoreSegments) and the detection of segments
// that match another stream's reference better than their own (FindLeaks).
//
// It works on strings and word lists only: it knows nothing of sessions,
// time or I/O, so a benchmark run and a later re-scoring of its record (or
// of transcript files) count words the same way. Every function is safe for
// concurrent use.
package wer

// NormalizerVersion identifies the output of Normalize. Bump it whenever a
// change to normalization changes the words Normalize returns for some input
// (the golden table in testdata/normalize_golden.tsv changes with it), so
// that a record scored by an older normalizer can be told apart and
// re-scored.
//
// Version 2 reads digits one by one in phone, card, room and flight numbers,
// times with "oh", fractions, units and symbols, context-dependent
// abbreviations, roman numerals, initials, Unicode folding and a larger
// British -> American list (see RULES.md).
//
// Version 3 writes the words a written form implies but a speaker may leave
// unsaid in parentheses, "$19.99" -> "19 (dollars) 99 (cents)", and
// "two and a half million" -> "2500000"; AlignReadings (readings.go)
// compares the readings of both sides closest to each other.
const NormalizerVersion = "3"
