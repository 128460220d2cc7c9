package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/program"
)

// script is a session dialed from the first hop.
type script struct {
	name   string
	inputs []string
}

// participantScripts reach every participant screen.
var participantScripts = []script{
	{"main menu", nil},
	{"first PIN, balance, back", []string{"1", "1234", "1234", "0"}},
	{"PINs that differ", []string{"1", "1234", "4321"}},
	{"wrong PINs lock savings", []string{"1", "1234", "1234", "00", "1", "0000", "1111", "2222", "0", "1"}},
	{"PIN that is not 4 digits", []string{"1", "12", "abcd"}},
	{"visits, next page, back", []string{"2", "98", "98", "0", "0"}},
	{"payment dates", []string{"3", "00"}},
	{"payment dates by SMS", []string{"3", "1", "0"}},
	{"call-back twice", []string{"4", "00", "4"}},
	{"language menu", []string{"5", "0"}},
	{"unknown options", []string{"7", "", "99", "1*2", "<script>", "0"}},
}

// TestParticipantScreens dials every participant screen in every language
// and checks each against testdata/participant.LANG.golden.
func TestParticipantScreens(t *testing.T) {
	for _, p := range []struct{ lang, phone string }{
		{"es", demo.Spanish}, {"qu", demo.Quechua}, {"shp", demo.Shipibo}, {"quz", demo.Cusco},
	} {
		t.Run(p.lang, func(t *testing.T) {
			var out strings.Builder
			for i, s := range participantScripts {
				e := start(t)
				record(t, &out, e, s, fmt.Sprintf("%s-%d", p.lang, i), p.phone)
			}
			golden(t, "participant."+p.lang, out.String())
		})
	}
}

// TestLanguageChoice switches language from each language and checks the
// choice applies at once and in a later session.
func TestLanguageChoice(t *testing.T) {
	var out strings.Builder
	for i, to := range []string{"1", "2", "3"} {
		e := start(t)
		record(t, &out, e, script{"choose language " + to, []string{"5", to, "00"}}, fmt.Sprintf("lang-%d", i), demo.Spanish)
		record(t, &out, e, script{"next session", nil}, fmt.Sprintf("lang-%d-next", i), demo.Spanish)
	}
	golden(t, "language", out.String())
}

// TestCoachScreens dials the coach menu in each language, after two
// participants asked for a call-back.
func TestCoachScreens(t *testing.T) {
	for _, lang := range []string{"es", "qu", "shp"} {
		t.Run(lang, func(t *testing.T) {
			e := start(t)
			e.dial("cb-1", demo.Spanish, "4")
			e.clock.t = e.clock.t.Add(90 * 1e9)
			e.dial("cb-2", demo.Shipibo, "4")
			coach := &program.Person{Phone: demo.CoachOne, Role: program.Coach}
			if err := e.app.Store.SetLanguage(context.Background(), coach, lang); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			record(t, &out, e, script{"agenda, pages", []string{"1", "98", "98", "0", "0"}}, "coach-a-"+lang, demo.CoachOne)
			record(t, &out, e, script{"call-back requests", []string{"2", "00"}}, "coach-b-"+lang, demo.CoachOne)
			record(t, &out, e, script{"broadcast: a meeting, with mistakes typed, to a group, confirmed",
				[]string{"3", "2", "12", "3102", "0112", "2500", "1500", "3", "1", "98", "1"}}, "coach-c-"+lang, demo.CoachOne)
			record(t, &out, e, script{"broadcast: visit tomorrow, back before confirming", []string{"3", "1", "0900", "2", "0", "0", "00"}}, "coach-d-"+lang, demo.CoachOne)
			record(t, &out, e, script{"my broadcasts: cancel one, and again", []string{"4", "1", "1", "00", "4", "1", "1"}}, "coach-e-"+lang, demo.CoachOne)
			golden(t, "coach."+lang, out.String())
		})
	}
}

func TestUnregisteredNumber(t *testing.T) {
	e := start(t)
	var out strings.Builder
	record(t, &out, e, script{"unregistered", nil}, "stranger", demo.Stranger)
	golden(t, "unregistered", out.String())
	if !strings.Contains(out.String(), "END ") {
		t.Error("an unregistered number must get an END screen")
	}
}

// record dials a script and writes every screen with its size, checking
// on the way that each screen fits a phone.
func record(t *testing.T, out *strings.Builder, e *testEnv, s script, session, phone string) {
	t.Helper()
	fmt.Fprintf(out, "=== %s\n", s.name)
	replies := e.dial(session, phone, s.inputs...)
	for i, r := range replies {
		text := strings.TrimPrefix(strings.TrimPrefix(r, "CON "), "END ")
		enc, n := gsm.Measure(text)
		if !gsm.DefaultLimits().Fits(text) {
			t.Errorf("%s hop %d: screen of %d characters (%s) does not fit:\n%s", s.name, i, n, enc, text)
		}
		path := strings.Join(s.inputs[:max(i, 0)], "*")
		fmt.Fprintf(out, "--- text=%q (%d %s)\n%s\n", path, n, enc, r)
	}
}
