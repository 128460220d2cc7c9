package engine

// validator checks what was typed at an input node; on failure its message
// ID is shown above the same prompt.
type validator struct {
	ok      func(string) bool
	message string
}

var validators = map[string]validator{
	"pin": {ok: func(s string) bool { return len(s) == 4 && digits(s) }, message: "error.pin"},
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
