package textgen

// The grammar. A sentence is a subject, a verb phrase and one or two
// modifiers (a place, a time), sometimes after an opener; or a question
// built the same way. Every part is drawn from a list of forms, each form a
// {slot} pattern with at most a word or two fixed, so that two sentences
// share few words even when they share a form. A {slot} is replaced by a
// random filler (see generator.slot); the sentence's first letter is
// capitalized afterwards.

var subjects = []string{
	"{name}", "{name}", "{full}", "{full}", "my cousin {name}", "{name}'s neighbor", "a {job} named {name}",
	"{name} and {name}", "our {job}", "the {job} from {city}", "my friend {name}", "{name}'s cousin",
	"{full} from {city}", "a {job} called {full}", "{name}'s {job}", "two {job}s from {country}",
	"{name}, a {job},", "Coach {surname}", "Doctor {surname}", "Professor {full}",
}

// Verb phrases in the past tense, so that any subject fits.
var predicates = []string{
	"{action} {n} {thing}", "{action} {n} {thing}", "{action} {name}'s {thing}",
	"{travel} {city}", "{travel} {country}", "moved to {country}", "bought {food} for {n} people",
	"found {n} {thing}", "lost {n} {thing}", "waited {n} minutes for {ride}", "cooked {food}",
	"phoned {full} {n} times", "ran {n} kilometers", "met {full}", "paid {n} {money} for {food}",
	"visited {city}", "forgot {name}'s birthday", "won {n} {money}", "sang {n} songs",
	"fixed {n} {thing}", "wrote {n} letters to {full}", "planted {n} trees", "sold {food}",
	"ordered {food}", "rescued {n} kittens", "photographed {venue}", "hired {n} {job}s",
	"gave {full} {n} {thing}", "carried {food} home", "missed {ride}", "caught {ride}",
	"drew a map of {city}", "counted {n} swans", "borrowed {n} {thing}", "shared {food} with {name}",
}

var places = []string{
	"at {venue}", "near {venue}", "outside {venue}", "behind {venue}", "in {city}", "inside {venue}",
	"by {venue}", "across from {venue}", "somewhere in {country}", "north of {city}", "around {venue}",
	"in {city}", "opposite {venue}", "downtown", "upstairs", "back home in {city}", "along {venue}",
}

var times = []string{
	"on {day}", "last {day}", "every {day}", "{day} morning", "in {month}", "in {year}", "since {year}",
	"by {hour}", "at {hour}", "before {hour}", "after {hour}", "around {hour}", "on {month} {ord}",
	"{n} weeks ago", "last {month}", "in {month} {year}", "that {day} evening", "during the {adj} spring",
	"early on {day}", "the day before {month} {ord}", "twice in {year}", "yesterday", "overnight",
}

var openers = []string{
	"apparently,", "honestly,", "believe it or not,", "luckily,", "as usual,", "to be fair,",
	"in the end,", "oddly enough,", "sadly,", "once again,", "for some reason,", "according to {name},",
}

// Questions use the base form of a verb after "did".
var questionWords = []string{"why did", "when did", "where did", "how often did", "did"}

var basePredicates = []string{
	"{action2} {n} {thing}", "visit {city}", "call {full}", "leave {venue}", "move to {country}",
	"cook {food}", "meet {full}", "sell {food}", "miss {ride}", "paint {venue}",
}

// Fillers for the slots that are not plain word lists.
var (
	// ordinals for dates: "March 3rd", "June the 21st".
	ordinals = []string{
		"1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th", "14th",
		"15th", "17th", "19th", "20th", "21st", "22nd", "23rd", "25th", "26th", "28th", "30th",
		"first", "second", "third", "fifth", "tenth", "twelfth", "twentieth",
	}
	// hours people say for a clock time, words or digits (no colon: a
	// colon is not spoken by every voice and not normalized the same way).
	hours = []string{
		"7 am", "8 am", "9 am", "10 am", "11 am", "noon", "1 pm", "2 pm", "3 pm", "4 pm", "5 pm", "6 pm",
		"7 pm", "8 pm", "9 pm", "midnight", "half past six", "a quarter to nine", "seven thirty", "ten fifteen",
		"eleven o'clock", "three o'clock",
	}
	// base forms for "did ... {action2}".
	actions2 = []string{
		"repair", "sell", "deliver", "paint", "count", "order", "pack", "donate", "return", "collect",
		"clean", "borrow", "ship", "label", "unload", "stack", "carry", "inspect", "wrap", "lose",
	}
	travels = []string{
		"flew to", "drove to", "cycled to", "sailed to", "hitchhiked to", "took a train to", "walked to",
		"returned to", "rode a bus to", "emigrated to",
	}
	money = []string{"dollars", "euros", "pounds", "francs", "pesos", "rupees", "yen", "kroner"}
)
