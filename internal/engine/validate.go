package engine

import "github.com/willay-pe/willay/internal/broadcast"

// validator checks what was typed at an input node; on failure its message
// ID is shown above the same prompt.
type validator struct {
	ok      func(string) bool
	message string
}

var validators = map[string]validator{
	"pin": {ok: func(s string) bool { return len(s) == 4 && digits(s) }, message: "error.pin"},
	// ddmm is a day and month as typed on a keypad: 2811 for 28 November.
	"ddmm": {ok: func(s string) bool { return len(s) == 4 && digits(s) }, message: "error.ddmm"},
	// hhmm is a time of day, 24-hour: 0900, 1530.
	"hhmm": {ok: func(s string) bool {
		_, ok := broadcast.ParseClock(s)
		return ok && digits(s)
	}, message: "error.hhmm"},
	// option is one digit, 1 to 9, from a list the prompt shows.
	"option": {ok: func(s string) bool { return len(s) == 1 && s >= "1" && s <= "9" }, message: "error.option"},
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
