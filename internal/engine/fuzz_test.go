package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/gsm"
)

// FuzzHandle types text ("1*98*0…") one input per hop, with the whole path
// as Africa's Talking sends it or, when choice has its high bit set, only
// the latest input. choice also picks who dials. Whatever is typed, every
// reply is a non-empty screen that fits, and only an unregistered number
// (or an end node) closes the session.
func FuzzHandle(f *testing.F) {
	for _, seed := range []struct {
		text   string
		choice byte
	}{
		{"", 0}, {"1*1234*1234*0", 0}, {"1*1234*4321*00", 0x80}, {"2*98*98*0*0", 1}, {"4*0*5*2*00*3", 2},
		{"1*0000*1111*2222*0*1*2468", 5}, {"1*98*00*2*0*3*1", 6}, {"1*2", 7}, {"*", 3}, {"00*00*98*0*0", 4},
		{"5*3*00*1*ñ*€*中", 0x81}, {"3*2*0112*1500*1*00*4*1*1", 6}, {"3*5*9*3112*0*4*7", 0x86}, {strings.Repeat("9*", 70), 0}, {" 3 *\t0\n*98", 0},
	} {
		f.Add(seed.text, seed.choice)
	}
	phones := []string{phoneRosa, phoneJuana, phoneYnes, phoneMaria, phoneLucia, phoneCarmen, phoneCoach, phoneNobody}
	f.Fuzz(func(t *testing.T, text string, choice byte) {
		fx := newFixture(t)
		phone := phones[int(choice&0x7f)%len(phones)]
		latest := choice&0x80 != 0
		var typed []string
		if text != "" {
			typed = strings.Split(text, "*")
		}
		typed = typed[:min(len(typed), 80)]
		check := func(inputs []string) {
			r, err := fx.eng.Handle(context.Background(), Hop{SessionID: "fuzz", Phone: phone, Inputs: inputs})
			if len(inputs) > MaxInputs {
				if !errors.Is(err, ErrTooManyInputs) {
					t.Fatalf("%d inputs: %v, want ErrTooManyInputs", len(inputs), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("after %q: %v", inputs, err)
			}
			if r.Text == "" || r.Node == "" || r.Lang == "" {
				t.Fatalf("after %q: an empty reply %+v", inputs, r)
			}
			if !gsm.DefaultLimits().Fits(r.Text) {
				t.Fatalf("after %q: the screen does not fit: %q", inputs, r.Text)
			}
			if r.End != endNode(fx.eng, r.Node) {
				t.Fatalf("after %q: End %v on node %s", inputs, r.End, r.Node)
			}
			if (phone == phoneNobody) != (r.Node == "unregistered") {
				t.Fatalf("after %q: %s answered with node %s", inputs, phone, r.Node)
			}
		}
		check(nil)
		for i := range typed {
			if latest {
				check(typed[i : i+1])
			} else {
				check(typed[:i+1])
			}
		}
	})
}

// endNode tells whether node ("flow/id") closes the session.
func endNode(e *Engine, node string) bool {
	if node == "unregistered" || node == "busy" {
		return true
	}
	name, id, _ := strings.Cut(node, "/")
	n := e.Library.Current().Flows.Node(name, id)
	return n != nil && n.Type == flow.End
}
