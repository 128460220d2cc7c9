package engine

import (
	"strings"

	"github.com/willay-pe/willay/internal/gsm"
)

// Screens is how text is fitted to a phone.
type Screens struct {
	Limits      gsm.Limits
	FoldAccents bool
}

// normalize makes a line safe for a basic phone in lang. Shipibo is written
// without stress accents, whatever the folding setting.
func (s Screens) normalize(lang, line string) string {
	return gsm.Normalize(line, gsm.Options{FoldAccents: s.FoldAccents, StripStress: lang == "shp"})
}

// paginate splits body lines into pages that each fit one screen with their
// navigation line. nav(more) gives the navigation line of a page. A line too
// long for a screen on its own is split between words: nothing is cut off.
func (s Screens) paginate(body []string, nav func(more bool) string) []string {
	queue := append([]string(nil), body...)
	var pages []string
	for {
		var cur []string
		for len(queue) > 0 {
			next := append(cur[:len(cur):len(cur)], queue[0])
			if !s.Limits.Fits(join(next, nav(len(queue) > 1))) {
				break
			}
			cur, queue = next, queue[1:]
		}
		if len(queue) == 0 {
			return append(pages, join(cur, nav(false)))
		}
		if len(cur) == 0 {
			head, rest := s.split(queue[0], nav(true))
			cur, queue[0] = []string{head}, rest
			if rest == "" { // only spaces were left over
				queue = queue[1:]
				if len(queue) == 0 {
					return append(pages, join(cur, nav(false)))
				}
			}
		}
		pages = append(pages, join(cur, nav(true)))
	}
}

// split cuts line at the last space (or rune) that still fits with nav.
func (s Screens) split(line, nav string) (head, rest string) {
	runes := []rune(line)
	lo, hi := 1, len(runes)
	for lo < hi { // longest prefix that fits
		mid := (lo + hi + 1) / 2
		if s.Limits.Fits(join([]string{string(runes[:mid])}, nav)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	cut := lo
	if sp := strings.LastIndexByte(string(runes[:lo]), ' '); sp > 0 {
		cut = len([]rune(string(runes[:lo])[:sp]))
	}
	return strings.TrimSpace(string(runes[:cut])), strings.TrimSpace(string(runes[cut:]))
}

func join(lines []string, nav string) string {
	out := strings.Join(lines, "\n")
	if nav != "" {
		if out != "" {
			out += "\n"
		}
		out += nav
	}
	return out
}
