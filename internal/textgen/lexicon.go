package textgen

// Word lists the templates draw from. They are long on purpose: two texts
// stay apart in word edit distance when their names, places, things and
// actions differ, so every slot has many more fillers than any one text
// uses. Only ASCII letters, apostrophes and spaces: what every TTS speaks
// and the reference voice encodes.

var firstNames = []string{
	"Maria", "Ahmed", "Priya", "Tomasz", "Keiko", "Olumide", "Sven", "Lucia", "Dmitri", "Fatima",
	"Hannah", "Mateo", "Ingrid", "Kwame", "Aisha", "Rafael", "Yusuf", "Chloe", "Bogdan", "Mei",
	"Oscar", "Leila", "Tobias", "Amara", "Gareth", "Noor", "Felipe", "Astrid", "Jamal", "Sakura",
	"Declan", "Zanele", "Henrik", "Rosa", "Arjun", "Freya", "Emeka", "Paloma", "Luca", "Ines",
	"Viktor", "Esther", "Kofi", "Beatriz", "Ravi", "Greta", "Omar", "Nadia", "Callum", "Yara",
	"Pablo", "Ming", "Sofia", "Anders", "Thandiwe", "Marco", "Ayumi", "Idris", "Clara", "Stefan",
	"Lena", "Kenji", "Abena", "Pierre", "Samira", "Diego", "Helga", "Tariq", "Molly", "Andrei",
	"Chiara", "Hamza", "Elif", "Niall", "Wanjiru", "Jonas", "Farah", "Emil", "Carmen", "Hiro",
	"Marta", "Bilal", "Agnes", "Rohan", "Mirela", "Felix", "Zara", "Ewan", "Adaeze", "Milan",
	"Vera", "Santiago", "Ottilie", "Kaveh", "Nina", "Ibrahim", "Maeve", "Joaquin", "Tove", "Sunil",
}

var surnames = []string{
	"Okafor", "Lindqvist", "Nakamura", "Kowalski", "Haddad", "Fernandes", "Brennan", "Petrov", "Moreau", "Osei",
	"Castillo", "Johansson", "Mbeki", "Rossi", "Tanaka", "Schmidt", "Novak", "Gallagher", "Ibarra", "Sato",
	"Kaplan", "Mensah", "Dubois", "Varga", "Quinn", "Hussain", "Lopez", "Eriksen", "Adeyemi", "Bianchi",
	"Horvat", "Delgado", "Fischer", "Mahlangu", "Ortega", "Keller", "Nyberg", "Popescu", "Reyes", "Whitaker",
}

var cities = []string{
	"Lisbon", "Dublin", "Denver", "Naples", "Oslo", "Nairobi", "Osaka", "Krakow", "Lagos", "Seville",
	"Montreal", "Bergen", "Hanoi", "Glasgow", "Tucson", "Porto", "Marseille", "Accra", "Valencia", "Tallinn",
	"Chicago", "Lyon", "Perth", "Bogota", "Leipzig", "Cairo", "Halifax", "Kyoto", "Zurich", "Adelaide",
	"Belfast", "Quito", "Gdansk", "Memphis", "Bilbao", "Mumbai", "Reykjavik", "Dakar", "Boise", "Turin",
	"Riga", "Winnipeg", "Cork", "Santiago", "Toulouse", "Kampala", "Brisbane", "Seattle", "Ghent", "Lima",
	"Vilnius", "Manila", "Cardiff", "Rotterdam", "Havana", "Tbilisi", "Omaha", "Palermo", "Busan", "Aarhus",
	"Sapporo", "Bristol", "Durban", "Austin", "Salzburg", "Tunis", "Geneva", "Calgary", "Athens", "Pittsburgh",
	"Bordeaux", "Hamburg", "Lusaka", "Savannah", "Granada", "Madras", "Antwerp", "Duluth", "Kingston", "Tromso",
}

var countries = []string{
	"Portugal", "Kenya", "Norway", "Peru", "Vietnam", "Ghana", "Iceland", "Chile", "Morocco", "Finland",
	"Scotland", "Japan", "Mexico", "Poland", "Egypt", "Canada", "Brazil", "Greece", "Ireland", "Nepal",
	"Colombia", "Denmark", "Senegal", "Croatia", "Argentina", "Georgia", "Uganda", "Austria", "Jamaica", "Latvia",
}

// Places inside a town, named the way people name them: few articles, so
// that "the" is not what two texts have in common.
var venues = []string{
	"Harbor Street", "Central Station", "the old library", "Elm Street Bakery", "Pier Seven", "the town hall",
	"Riverside Market", "Saint Mary's Hospital", "Gate Twelve", "the night market", "Victoria Park", "the ferry terminal",
	"Kingsway Stadium", "the botanical garden", "North Road", "Aurora Cafe", "the post office", "Willow Lane",
	"the science center", "Platform Nine", "Castle Hill", "the ice rink", "Mill Pond", "Oak Avenue School",
	"the bus depot", "Union Square", "the climbing gym", "Bridge Street Pharmacy", "the chess club", "Lighthouse Point",
	"the recycling center", "Maple Court", "the marina", "Queen's Bridge", "Granary Wharf", "the observatory",
	"Cedar Mall", "the fire station", "Hilltop Farm", "the youth hostel", "Market Cross", "Orchard Road",
	"the laundromat", "Fenwick Museum", "Station Square", "the courthouse", "Beacon Theatre", "Juniper Close",
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

var months = []string{
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
}

// Plural things that can be counted, sold, carried or repaired.
var things = []string{
	"bicycles", "loaves", "lanterns", "suitcases", "tickets", "umbrellas", "chairs", "blankets", "boxes of apples",
	"crates of oranges", "paintings", "laptops", "tomato plants", "kites", "violins", "boots", "maps", "candles",
	"postcards", "sandwiches", "helmets", "jars of honey", "books", "pumpkins", "radios", "tents", "batteries",
	"rugs", "teapots", "wheelbarrows", "sweaters", "puzzles", "mirrors", "keyboards", "baskets", "tires",
	"posters", "flower pots", "scarves", "telescopes", "ladders", "skateboards", "notebooks", "pillows",
}

// Past-tense actions on things.
var actions = []string{
	"repaired", "sold", "delivered", "painted", "counted", "ordered", "packed", "donated", "returned", "collected",
	"cleaned", "borrowed", "shipped", "labeled", "unloaded", "stacked", "carried", "inspected", "wrapped", "lost",
}

var jobs = []string{
	"nurse", "plumber", "pilot", "librarian", "baker", "engineer", "teacher", "carpenter", "chef", "farmer",
	"dentist", "architect", "mechanic", "firefighter", "gardener", "tailor", "electrician", "pharmacist",
	"photographer", "translator", "surveyor", "beekeeper", "locksmith", "veterinarian",
}

// Vehicles and ways to travel, with their article.
var rides = []string{
	"the ferry", "the night train", "the last bus", "a small plane", "the tram", "a rented van",
	"the coastal train", "a shared taxi", "the express coach", "an old motorbike", "the cable car", "a sailboat",
}

var adjectives = []string{
	"cold", "noisy", "crowded", "quiet", "windy", "foggy", "sunny", "slow", "busy", "strange", "humid",
	"calm", "chaotic", "pleasant", "freezing", "stormy", "lovely", "tiring", "peaceful", "hectic",
}

// Foods and drinks, uncountable or plural.
var foods = []string{
	"lentil soup", "grilled fish", "rye bread", "mango juice", "black coffee", "spicy noodles", "lemon cake",
	"roast potatoes", "mint tea", "fresh figs", "goat cheese", "fried rice", "plum jam", "oat porridge",
	"cherry pie", "green curry", "sourdough toast", "hot chocolate", "pickled herring", "corn tortillas",
}

// Events that happen to a place, as a past-tense clause.
var events = []string{
	"lost power", "flooded", "closed early", "ran out of milk", "filled up", "caught fire", "reopened",
	"went quiet", "sold out", "changed owners", "got repainted", "shut for repairs",
}

// Small numbers in words, for counts that people say rather than write.
var numberWords = []string{
	"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
	"fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "a hundred",
}
