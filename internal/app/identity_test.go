package app

import (
	"context"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestReusedSessionIDKeepsEffectsApart: a session ID that another phone
// used before, with the same inputs, is another side effect. Each case has
// Rosa go first and Juana (or a second coach) follow with her session ID.
func TestReusedSessionIDKeepsEffectsApart(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(e *testEnv)
		first string // the phone that goes first
		then  string // the phone that reuses its session ID
		path  []string
		check func(t *testing.T, e *testEnv, last string)
	}{
		{
			name: "pin",
			setup: func(e *testEnv) {
				e.setPIN(demo.Spanish, "1111")
				e.setPIN(demo.Quechua, "2222")
			},
			first: demo.Spanish, then: demo.Quechua, path: []string{"1", "1111"},
			check: func(t *testing.T, e *testEnv, last string) {
				if strings.Contains(last, "S/") {
					t.Errorf("Juana read her balance with Rosa's PIN: %q", last)
				}
				if got := e.get("pinfail:" + demo.Quechua); got != "1" {
					t.Errorf("Juana's wrong PIN counted %q times, want 1", got)
				}
			},
		},
		{
			name:  "callback",
			first: demo.Spanish, then: demo.Quechua, path: []string{"4"},
			check: func(t *testing.T, e *testEnv, last string) {
				cbs, err := e.app.Store.Callbacks(ctx, demo.CoachOne)
				if err != nil || len(cbs) != 2 {
					t.Errorf("the coach has %d call-back requests (%v), want Rosa's and Juana's", len(cbs), err)
				}
				if alerts, _ := e.app.Store.Messages(ctx, demo.CoachOne, "", 10); len(alerts) != 2 {
					t.Errorf("the coach got %d alerts, want 2: %q", len(alerts), texts(alerts))
				}
			},
		},
		{
			name:  "sms.send",
			first: demo.Spanish, then: demo.Quechua, path: []string{"2", "1"},
			check: func(t *testing.T, e *testEnv, last string) {
				for _, ph := range []string{demo.Spanish, demo.Quechua} {
					if msgs, _ := e.app.Store.Messages(ctx, ph, "", 10); len(msgs) != 1 {
						t.Errorf("%s got %d messages, want 1", ph, len(msgs))
					}
				}
			},
		},
		{
			name: "broadcast",
			setup: func(e *testEnv) {
				rows := []importer.CoachRow{
					{Phone: "+51900000008", Name: "Lidia Ramos", Language: "es", Group: "NJ-UCAY-02"},
					{Phone: "+51900000007", Name: "Pedro Ramos", Language: "es", Group: "HW-HVCA-01"},
				}
				if err := e.app.Store.ApplyCoaches(ctx, rows); err != nil {
					e.t.Fatal(err)
				}
			},
			first: "+51900000008", then: "+51900000007", path: []string{"3", "1", "0900", "1"},
			check: func(t *testing.T, e *testEnv, last string) {
				for _, coach := range []string{"+51900000008", "+51900000007"} {
					if mine, _ := e.app.Broadcasts.Mine(ctx, coach, 5); len(mine) != 1 {
						t.Errorf("coach %s has %d broadcasts, want 1", coach, len(mine))
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			e.dial("r5", tt.first, tt.path...)
			got := e.dial("r5", tt.then, tt.path...)
			tt.check(t, e, got[len(got)-1])
		})
	}
}

// TestNewDialStartsAtMainMenu: a dial that reuses a session ID (an empty
// text within the session's lifetime) starts at the main menu, never on the
// last screen, which may be the savings balance; the gateway's duplicate of
// the first request gets the main menu again.
func TestNewDialStartsAtMainMenu(t *testing.T) {
	e := start(t)
	e.setPIN(demo.Spanish, "1111")
	if got := e.dial("r7", demo.Spanish, "1", "1111"); !strings.Contains(got[2], "S/") {
		t.Fatalf("the balance: %q", got[2])
	}
	for i, hop := range []string{"new dial", "its duplicate"} {
		got := e.hop("r7", demo.Spanish)
		if strings.Contains(got, "S/") || !strings.Contains(got, "Hola Rosa") || strings.Contains(got, "nuevo") {
			t.Errorf("%d %s: want the main menu, got %q", i, hop, got)
		}
	}
	if got := e.hop("r7", demo.Spanish, "1"); !strings.Contains(got, "clave") {
		t.Errorf("after a new dial, 1 asks for the PIN again: %q", got)
	}
}

// TestStaleSessionCannotReplacePIN: session A waits at "type it again" for
// a first PIN while session B sets one (and, in one case, locks the savings
// with three wrong tries). A's confirmation changes nothing: it shows the
// lock, or says a PIN is set and asks for it.
func TestStaleSessionCannotReplacePIN(t *testing.T) {
	tests := []struct {
		name   string
		wrong  []string // B's wrong tries after setting 5555
		want   []string // in A's confirmation screen
		failed string   // pinfail after A's confirmation
	}{
		{"locked", []string{"0000", "0000", "0000"}, []string{"bloqueados"}, ""},
		{"set", []string{"0000"}, []string{"Ya tiene una clave.", "Escriba su clave de 4 numeros:"}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t)
			rosa := demo.Spanish
			e.dial("a", rosa, "1", "1234")
			e.dial("b", rosa, "1", "5555", "5555")
			e.dial("c", rosa, append([]string{"1"}, tt.wrong...)...)
			got := e.hop("a", rosa, "1", "1234", "1234")
			for _, w := range tt.want {
				if !strings.Contains(got, w) || strings.Contains(got, "S/") {
					t.Errorf("A's confirmation: want %q, got %q", w, got)
				}
			}
			want := engine.PINHasher(e.cfg.PINKey, rosa)("5555")
			if pin, _ := e.redis.Client.HGet(context.Background(), e.redis.Prefix+"p:"+rosa, "pin").Result(); pin != want {
				t.Error("A's confirmation replaced the PIN")
			}
			if got := e.get("pinfail:" + rosa); got != tt.failed {
				t.Errorf("wrong tries after A's confirmation: %q, want %q", got, tt.failed)
			}
		})
	}
}

// TestCorruptSavingsFailOnlyTheirScreen: a savings value that does not
// parse makes the savings screen say it cannot be shown; every other menu
// works, and the session goes on.
func TestCorruptSavingsFailOnlyTheirScreen(t *testing.T) {
	for _, bad := range []string{"12x50|2026-11-20", "35000|20-11-2026"} {
		t.Run(bad, func(t *testing.T) {
			e := start(t)
			rosa := demo.Spanish
			e.setPIN(rosa, "1111")
			if err := e.redis.Client.HSet(context.Background(), e.redis.Prefix+"p:"+rosa, "sav", bad).Err(); err != nil {
				t.Fatal(err)
			}
			got := e.dial("c", rosa, "1", "1111", "00", "3")
			if !strings.HasPrefix(got[0], "CON Hola Rosa") {
				t.Errorf("main menu: %q", got[0])
			}
			if want := "CON Estos datos no se pueden mostrar ahora. Avise a su yachachiq.\n0 Atras  00 Menu"; got[2] != want {
				t.Errorf("savings screen: %q, want %q", got[2], want)
			}
			if !strings.HasPrefix(got[3], "CON Hola Rosa") || !strings.Contains(got[4], "Agencia Banco") {
				t.Errorf("the other menus: %q, %q", got[3], got[4])
			}
		})
	}
}

// TestSMSReplyLimit: "send me this by SMS" reaches a phone at most
// WILLAY_SMS_REPLY_LIMIT times a day; past it the screen says so in the
// person's language and nothing is stored. A repeated hop is not counted
// twice, and the next day counts anew.
func TestSMSReplyLimit(t *testing.T) {
	r := testredis.New(t)
	cfg := testConfig(t, r, "../../flows", "../../locales")
	cfg.SMS.ReplyLimit = 2
	e := startOn(t, r, cfg)
	ctx := context.Background()
	count := func(phone string) int {
		msgs, _ := e.app.Store.Messages(ctx, phone, "", 20)
		return len(msgs)
	}
	e.dial("a", demo.Spanish, "2", "1")
	e.hop("a", demo.Spanish, "2", "1") // the gateway repeats the hop: the same message
	e.dial("b", demo.Spanish, "3", "1")
	got := e.dial("c", demo.Spanish, "2", "1")
	if want := "CON Hoy ya recibio el maximo de SMS. Pida otro mañana.\n0 Atras  00 Menu"; got[2] != want {
		t.Errorf("over the limit: %q, want %q", got[2], want)
	}
	if n := count(demo.Spanish); n != 2 {
		t.Errorf("Rosa got %d SMS, want 2", n)
	}
	if got := e.dial("q", demo.Quechua, "2", "1"); strings.Contains(got[2], "chaskirqankiña") {
		t.Errorf("Juana has her own limit: %q", got[2])
	}
	got = e.dial("q2", demo.Quechua, "2", "1")
	got = e.dial("q3", demo.Quechua, "2", "1")
	if want := "CON Kunan p'unchawqa SMS-kunata chaskirqankiña. Paqarin mañakuy."; !strings.HasPrefix(got[2], want) {
		t.Errorf("over the limit in Quechua: %q, want %q", got[2], want)
	}
	e.clock.t = e.clock.t.AddDate(0, 0, 1)
	if got := e.dial("d", demo.Spanish, "2", "1"); !strings.Contains(got[2], "Le enviamos un SMS") {
		t.Errorf("the next day: %q", got[2])
	}
}
