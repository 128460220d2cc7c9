package engine

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkHopMainMenu is a first hop: a new session on the main menu.
func BenchmarkHopMainMenu(b *testing.B) {
	f := newFixture(b)
	hop := Hop{Gateway: "bench", SessionID: "bench", Phone: phoneRosa, ServiceCode: "*500#"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.store.lose("bench")
		if _, err := f.eng.Handle(ctx, hop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHopPaymentDates is "3" typed on the main menu: a session read,
// an action, a page rendered and the session saved.
func BenchmarkHopPaymentDates(b *testing.B) {
	f := newFixture(b)
	f.hop(b, "bench", phoneRosa)
	atMenu := f.store.sessions["bench"]
	hop := Hop{Gateway: "bench", SessionID: "bench", Phone: phoneRosa, ServiceCode: "*500#", Inputs: []string{"3"}}
	ctx := context.Background()
	if r, err := f.eng.Handle(ctx, hop); err != nil || r.Text != payments {
		b.Fatalf("%q, %v", r.Text, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		f.store.sessions["bench"] = atMenu
		if _, err := f.eng.Handle(ctx, hop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPaginate splits a list of visits and one line longer than a
// screen.
func BenchmarkPaginate(b *testing.B) {
	s := testScreens()
	body := []string{"Proximas visitas y capacitaciones:",
		"28/11 09:00 Visita: Biohuerto familiar. Su casa",
		"30/11 14:00 Capacitacion: Cocina mejorada. Local comunal de Santa Rosa",
		"03/12 15:00 Reunion: Reunion de ahorro. Local comunal",
		"05/12 10:00 Capacitacion: Cuidado de cuyes. " + strings.Repeat("Local comunal de Santa Rosa de Pachaclla ", 6),
	}
	nav := testNavs[1].nav
	b.ReportAllocs()
	for b.Loop() {
		if len(s.paginate(body, nav)) < 2 {
			b.Fatal("one page")
		}
	}
}
