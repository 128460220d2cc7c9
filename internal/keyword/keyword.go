// Package keyword owns SMS keywords: the words participants text in
// Spanish, Quechua or Shipibo-Konibo (flows/sms.yaml), how that file is
// checked as a whole, and how an incoming text is matched to a command and
// its argument. What a command does lives elsewhere.
package keyword

import (
	"slices"
	"strings"
)

// Commands. The set is fixed by code: staff choose only the keywords.
const (
	Balance  = "balance"  // savings balance; the argument is the PIN
	Visits   = "visits"   // next visits, trainings and meetings
	Payments = "payments" // next payment dates
	Callback = "callback" // call-back request to the coach
	Language = "language" // change language; the argument is the code
	Stop     = "stop"     // stop reminders and broadcasts
	Start    = "start"    // undo stop
	Help     = "help"     // list of keywords
)

// Commands lists every command in the order problems are reported.
var Commands = []string{Balance, Visits, Payments, Callback, Language, Stop, Start, Help}

// languages every command needs keywords in. When one keyword is listed in
// several of them, the first one listing it is the keyword's language, so
// Spanish keywords repeated for Quechua or Shipibo stay "es".
var languages = []string{"es", "qu", "shp"}

// Command is what a text asks for.
type Command struct {
	Name string // one of Commands, or "" when nothing matched
	// Arg is the understood argument: the PIN of balance ("1234"), the
	// language code of language ("qu"). It is "" for the other commands,
	// and when the argument is missing or not understood, so that the
	// caller asks for it.
	Arg  string
	Lang string // language of the keyword that matched
}

// Set is a parsed keyword file, ready to match texts.
type Set struct {
	file     string
	byKey    map[string]entry // folded keyword → what it means
	maxWords int              // words of the longest keyword
	shown    map[string]map[string][]string
	problems []string
}

type entry struct {
	name, lang string
	kw         string // canonical, to name it in a problem
}

// Problems lists everything wrong with the file, each with the file and
// the command, in the order of Commands. A set with problems still
// matches the keywords that are sound, but should not be put in service.
func (s *Set) Problems() []string { return slices.Clone(s.problems) }

// Keywords lists a command's keywords for one language as a help text may
// show them: upper case, GSM-7 (accents dropped, Ñ kept).
func (s *Set) Keywords(command, lang string) []string {
	return slices.Clone(s.shown[command][lang])
}

// Match finds the command a text asks for. The keyword is the first word
// or words (the longest keyword that fits wins); what follows is the
// argument.
func (s *Set) Match(text string) Command {
	if s == nil {
		return Command{}
	}
	ws := words(text)
	for n := min(s.maxWords, len(ws)); n > 0; n-- {
		if e, ok := s.byKey[strings.Join(ws[:n], " ")]; ok {
			return Command{Name: e.name, Arg: argument(e.name, ws[n:]), Lang: e.lang}
		}
	}
	return Command{}
}

func argument(name string, rest []string) string {
	switch name {
	case Balance:
		return pin(strings.Join(rest, ""))
	case Language:
		return languageNames[strings.Join(rest, "")]
	}
	return ""
}

// pinLen is the PIN length the participant flow's pin validator asks for.
const pinLen = 4

// pin returns p when it is a PIN. Spaces were already dropped, so
// "12 34" arrives as "1234".
func pin(p string) string {
	if len(p) != pinLen {
		return ""
	}
	for i := range len(p) {
		if p[i] < '0' || p[i] > '9' {
			return ""
		}
	}
	return p
}

// languageNames maps what may follow the language keyword, folded and with
// its spaces dropped ("RUNA SIMI" arrives as RUNASIMI), to a language code.
// Varieties keep their own code: the catalog falls back from quz to qu.
var languageNames = map[string]string{
	"ES": "es", "ESPANOL": "es", "CASTELLANO": "es",
	"QU": "qu", "QUECHUA": "qu", "RUNASIMI": "qu",
	"QUZ": "quz", "QUY": "quy",
	"SHP": "shp", "SHIPIBO": "shp", "SHIPIBOKONIBO": "shp",
}
