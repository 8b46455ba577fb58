package wer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Six references in the same style: short local news items sharing much of
// their vocabulary, as concurrent benchmark sessions do.
var leakRefs = []string{
	"The city council met on Monday evening to discuss the new budget. Members agreed to spend more on road repairs and less on new parking. The mayor said the plan would be ready by the end of the month. Residents will be able to comment on the proposal at a public meeting next week. Yes. Several local businesses have already asked for more time to review the details.",
	"The local library will open a new reading room on Saturday morning. The room was paid for by donations from residents and a grant from the state. Children can join a story hour every week during the summer. The head librarian said the building would stay open later on weekdays. Volunteers are still needed to help with the opening event and the book sale.",
	"Heavy rain caused flooding in the north of the county on Sunday night. Several roads were closed and two schools will stay shut until Wednesday. The fire department helped families leave their homes near the river. Officials said the water level was expected to fall by the end of the week. Drivers were asked to avoid the area and to follow the signs.",
	"The high school football team won the regional final on Friday night. The coach said the players had worked hard all season and deserved the win. More than three thousand people watched the game at the new stadium. The team will travel to the state capital next month for the championship. The school plans a parade through the town center on Tuesday afternoon.",
	"A new bus route will connect the train station with the hospital from next month. The service will run every fifteen minutes during the day and every hour at night. The transport office said the route was planned after many requests from patients and staff. Tickets can be bought on the bus or with the city travel card. Yes. Older residents will be able to ride for free.",
	"Farmers in the valley expect a good harvest this year after a warm and dry spring. Prices for apples and pears are likely to stay the same as last year. The market in the old square will open two hours earlier on Saturdays. Local producers said they hoped more visitors would come from the city. The farmers association will hold its annual meeting in the town hall next week.",
}

// segmentsWithErrors chunks text into segments of 5..10 words and applies
// about rate word errors (substitutions with words from vocab, deletions,
// insertions).
func segmentsWithErrors(r interface{ Intn(int) int }, text string, rate float64, vocab []string) []string {
	words := strings.Fields(text)
	var segs []string
	for len(words) > 0 {
		n := min(len(words), 5+r.Intn(6))
		var out []string
		for _, w := range words[:n] {
			if r.Intn(1000) >= int(rate*1000) {
				out = append(out, w)
				continue
			}
			switch r.Intn(3) {
			case 0:
				out = append(out, vocab[r.Intn(len(vocab))])
			case 1: // deletion
			default:
				out = append(out, w, vocab[r.Intn(len(vocab))])
			}
		}
		segs = append(segs, strings.Join(out, " "))
		words = words[n:]
	}
	return segs
}

// leakVocab is every word of every reference: errors drawn from it are
// the worst case for telling sessions apart.
func leakVocab() []string {
	var v []string
	for _, r := range leakRefs {
		v = append(v, Normalize(r)...)
	}
	return v
}

func TestFindLeaksCleanSessions(t *testing.T) {
	vocab := leakVocab()
	for seed := int64(1); seed <= 200; seed++ {
		r := newRand(seed)
		segments := make([][]string, len(leakRefs))
		for i, ref := range leakRefs {
			segments[i] = segmentsWithErrors(r, ref, 0.2, vocab)
		}
		require.Empty(t, FindLeaks(leakRefs, segments), "seed %d", seed)
	}
}

func TestFindLeaksMovedSegment(t *testing.T) {
	vocab := leakVocab()
	for seed := int64(1); seed <= 50; seed++ {
		r := newRand(seed)
		segments := make([][]string, len(leakRefs))
		for i, ref := range leakRefs {
			segments[i] = segmentsWithErrors(r, ref, 0.2, vocab)
		}
		// Session 2's result (with its own recognition errors) is delivered
		// to session 4 instead.
		moved := "The fire department helped families leave their homes near the river."
		if seed%2 == 0 {
			moved = "the fire department helped family leave homes near the river"
		}
		segments[4] = append(segments[4][:2:2], append([]string{moved}, segments[4][2:]...)...)
		leaks := FindLeaks(leakRefs, segments)
		require.Equal(t, []Leak{{Session: 4, From: 2, Text: moved}}, leaks, "seed %d", seed)
	}
}

func TestFindLeaksSwappedSegments(t *testing.T) {
	segments := [][]string{
		{"The city council met on Monday evening to discuss the new budget."},
		{"The local library will open a new reading room on Saturday morning."},
		{"The coach said the players had worked hard all season"},
		{"Several roads were closed and two schools will stay shut until Wednesday."},
	}
	leaks := FindLeaks(leakRefs[:4], segments)
	assert.Equal(t, []Leak{
		{Session: 2, From: 3, Text: segments[2][0]},
		{Session: 3, From: 2, Text: segments[3][0]},
	}, leaks)
}

func TestFindLeaksIgnoresShortAndGenericSegments(t *testing.T) {
	segments := make([][]string, len(leakRefs))
	// "Yes." is in sessions 0 and 4 only; short segments prove nothing.
	segments[1] = []string{"Yes.", "Next week.", "Yes, thank you."}
	// A phrase every text could contain.
	segments[2] = []string{"at the end of the week"}
	// Session 3 says "next month" as session 4 does, with its own words.
	segments[3] = []string{"The team will travel to the state capital next month"}
	assert.Empty(t, FindLeaks(leakRefs, segments))

	// Three words are enough when they are another session's words and
	// not this session's: "town hall" only occurs in session 5.
	segments[1] = []string{"The town hall"}
	assert.Equal(t, []Leak{{Session: 1, From: 5, Text: "The town hall"}}, FindLeaks(leakRefs, segments))
}

func TestSubstringErrors(t *testing.T) {
	ref := strings.Fields("a b c d e f g")
	cases := []struct {
		seg  string
		want int
	}{
		{"", 0},
		{"c d e", 0},
		{"a b c d e f g", 0},
		{"c x e", 1},
		{"c e", 1},
		{"c d d e", 1},
		{"x y z", 3},
		{"g a", 1},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, SubstringErrors(strings.Fields(c.seg), ref), c.seg)
	}
	assert.Equal(t, 2, SubstringErrors(strings.Fields("a b"), nil))
}

// TestFindLeaksCountsImpliedWordsAsSaid: a leaked segment written with a
// currency symbol matches the other session's spoken amount as a
// transcript of it would.
func TestFindLeaksCountsImpliedWordsAsSaid(t *testing.T) {
	refs := []string{
		"The ticket to Oslo costs twelve dollars.",
		"Please water the tomatoes on the balcony before noon.",
	}
	segments := [][]string{
		{"The ticket to Oslo costs twelve dollars."},
		{"Please water the tomatoes on the balcony before noon.", "Costs $12."},
	}
	// Three words: one counted wrong would be a rate of 1/3, past LeakMaxRate.
	assert.Equal(t, []Leak{{Session: 1, From: 0, Text: "Costs $12."}}, FindLeaks(refs, segments))
}
