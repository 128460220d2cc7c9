package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/gsm"
)

// Screens as a basic phone shows them (accents GSM-7 lacks are folded).
const (
	menuES    = "Hola Rosa. Willay:\n1 Mis ahorros\n2 Visitas y capacitaciones\n3 Fechas de pago\n4 Hablar con mi yachachiq\n5 Idioma"
	menuQU    = "Allillanchu Juana. Willay:\n1 Qullqi waqaychasqay\n2 Watukuykuna, yachachiykuna\n3 Qullqi chaskina p'unchaw\n4 Yachachiqniywan rimay\n5 Simi (Idioma)"
	menuSHP   = "Jawekeskarin Ynes. Willay:\n1 Nokon koriki benxoati\n2 Merati itan axeti\n3 Koriki biti nete\n4 Nokon yachachiq betan yoyo iti\n5 Joi (Idioma)"
	menuCoach = "Yachachiq Maximiliano. Willay:\n1 Visitas de mis grupos\n2 Pedidos de llamada\n3 Enviar recordatorio a mi grupo\n4 Mis envios\n5 Idioma"
	navES     = "\n0 Atras  00 Menu"
	moreES    = "\n98 Mas  0 Atras  00 Menu"
	badES     = "Opcion no valida.\n"

	visits1 = "Proximas visitas y capacitaciones:\n28/11 09:00 Visita: Biohuerto familiar. Su casa\n" +
		"30/11 14:00 Capacitacion: Cocina mejorada. Local comunal de Santa Rosa" + moreES
	smsES      = "\n1 Enviarme por SMS"
	visits2    = "03/12 15:00 Reunion: Reunion de ahorro. Local comunal" + smsES + navES
	payments   = "Proximos pagos:\n02/12 Juntos S/ 200.00. Agencia Banco de la Nacion Yauli" + smsES + navES
	choosePIN  = "Cree una clave (PIN) de 4 numeros para ver sus ahorros:" + navES
	confirmPIN = "Escriba la misma clave otra vez:" + navES
	askPIN     = "Escriba su clave de 4 numeros:" + navES
	locked     = "Por 3 claves incorrectas, sus ahorros estan bloqueados. Intente en 30 minutos." + navES
	unregES    = "Willay: su numero no esta registrado. Pida a su yachachiq que lo registre.\nYupayniyki mana qillqasqachu. Yachachiqniykiwan qillqachikuy."
)

// step is one hop: what the person typed (nothing on the dial) and the
// whole screen that must come back. Every screen of these flows continues.
type step struct {
	in, want string
}

func TestScreens(t *testing.T) {
	for _, c := range []struct {
		name, phone string
		lang        string // the catalog language of every reply
		dial        string
		steps       []step
	}{
		{name: "main menu in Spanish", phone: phoneRosa, lang: "es", dial: menuES},
		{name: "main menu in Quechua", phone: phoneJuana, lang: "qu", dial: menuQU},
		{name: "main menu in Shipibo", phone: phoneYnes, lang: "shp", dial: menuSHP},
		{name: "Cusco Quechua is served in Quechua", phone: phoneMaria, lang: "qu",
			dial: strings.Replace(menuQU, "Juana", "Maria", 1)},
		{name: "coach menu", phone: phoneCoach, lang: "es", dial: menuCoach},
		{name: "98 next page, 98 past the last, 0 back a page, 0 back a menu", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"2", visits1}, {"98", visits2}, {"98", badES + visits2}, {"0", visits1}, {"0", menuES},
		}},
		{name: "98 on a one-page screen and on the main menu", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"98", badES + menuES}, {"3", payments}, {"98", badES + payments}, {"0", menuES},
		}},
		{name: "00 goes to the main menu from anywhere", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"2", visits1}, {"98", visits2}, {"00", menuES}, {"5", "Elija su idioma:\n1 Español\n2 Runasimi\n3 Shipibo" + navES},
			{"00", menuES}, {"1", choosePIN}, {"00", menuES}, {"00", menuES},
		}},
		{name: "0 on the main menu stays there", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"0", menuES}, {"0", menuES}, {"3", payments},
		}},
		{name: "invalid options re-show the menu with an error line", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"6", badES + menuES}, {"9", badES + menuES}, {"abc", badES + menuES}, {"", badES + menuES},
			{"01", badES + menuES}, {"1 2", badES + menuES}, {"-1", badES + menuES}, {"3.0", badES + menuES},
			{"999999999999999999999", badES + menuES}, {"ñ", badES + menuES}, {" 3 ", payments}, {"7", badES + payments},
		}},
		{name: "invalid options in Quechua", phone: phoneJuana, lang: "qu", dial: menuQU, steps: []step{
			{"8", "Akllana manam kanchu.\n" + menuQU},
		}},
		{name: "PIN chosen and confirmed", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"1", choosePIN}, {"12", "Escriba 4 numeros.\n" + choosePIN}, {"abcd", "Escriba 4 numeros.\n" + choosePIN},
			{"12345", "Escriba 4 numeros.\n" + choosePIN}, {"1234", confirmPIN},
			{"1234", "Sus ahorros: S/ 350.00 al 20/11." + navES}, {"0", menuES},
		}},
		{name: "PINs that differ start over", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"1", choosePIN}, {"1234", confirmPIN}, {"4321", "Las claves no son iguales. Empiece otra vez.\n" + choosePIN},
			{"5678", confirmPIN}, {"5678", "Sus ahorros: S/ 350.00 al 20/11." + navES},
		}},
		{name: "0 at the PIN prompt goes back", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"1", choosePIN}, {"0", menuES},
		}},
		{name: "PIN verified", phone: phoneCarmen, lang: "es", dial: strings.Replace(menuES, "Rosa", "Carmen", 1), steps: []step{
			{"1", askPIN}, {testPIN, "Sus ahorros: S/ 1,234.56 al 26/11." + navES},
		}},
		{name: "3 wrong PINs lock the savings", phone: phoneCarmen, lang: "es", dial: strings.Replace(menuES, "Rosa", "Carmen", 1), steps: []step{
			{"1", askPIN}, {"0000", "Clave incorrecta. Le quedan 2 intentos.\n" + askPIN},
			{"123", "Escriba 4 numeros.\n" + askPIN},
			{"1111", "Clave incorrecta. Le queda 1 intento.\n" + askPIN},
			{"2222", locked}, {testPIN, badES + locked}, {"0", strings.Replace(menuES, "Rosa", "Carmen", 1)}, {"1", locked},
		}},
		{name: "PIN in Shipibo", phone: phoneYnes, lang: "shp", dial: menuSHP, steps: []step{
			{"1", "4 nomiroya clave (PIN) awe, min koriki ointi:\n0 Atras  00 Menu"},
			{"1", "4 nomiro wishawe.\n4 nomiroya clave (PIN) awe, min koriki ointi:\n0 Atras  00 Menu"},
			{"1234", "Ja clave wisharibiwe:\n0 Atras  00 Menu"},
			{"1234", "Min koriki: S/ 80.00 (17/11 neten).\n0 Atras  00 Menu"},
		}},
		{name: "call-back request", phone: phoneRosa, lang: "es", dial: menuES, steps: []step{
			{"4", "Listo. Su yachachiq Maximiliano recibio su pedido y le llamara." + navES}, {"0", menuES},
			{"4", "Ya pidio hoy que le llamen. Su yachachiq Maximiliano le llamara." + navES},
		}},
		{name: "a participant without coach, savings or events", phone: phoneLucia, lang: "es", dial: strings.Replace(menuES, "Rosa", "Lucia", 1), steps: []step{
			{"4", "Aun no tiene yachachiq asignado. Consulte en la oficina de su distrito." + navES},
			{"00", strings.Replace(menuES, "Rosa", "Lucia", 1)}, {"2", "No tiene visitas ni capacitaciones programadas." + navES},
			{"00", strings.Replace(menuES, "Rosa", "Lucia", 1)}, {"3", "No tiene pagos programados." + navES},
			{"00", strings.Replace(menuES, "Rosa", "Lucia", 1)}, {"1", choosePIN}, {"1357", confirmPIN},
			{"1357", "Aun no hay ahorros registrados a su nombre." + navES},
		}},
		{name: "choosing Quechua", phone: phoneRosa, lang: "", dial: menuES, steps: []step{
			{"5", "Elija su idioma:\n1 Español\n2 Runasimi\n3 Shipibo" + navES},
			{"2", "Allinmi. Kunanmanta Runasimipim rimapayasqaykiku.\n0 Kutiy  00 Menu"},
			{"00", strings.Replace(menuQU, "Juana", "Rosa", 1)},
		}},
		{name: "coach agenda and call-backs", phone: phoneCoach, lang: "es", dial: menuCoach, steps: []step{
			{"1", "Proximas actividades:\n28/11 09:00 Visita Rosa Quispe Huaman. Su casa\n" +
				"30/11 14:00 Capacitacion Rosa Quispe Huaman. Local comunal de Santa Rosa" + moreES},
			{"98", "03/12 15:00 Reunion Rosa Quispe Huaman. Local comunal" + navES},
			{"00", menuCoach}, {"2", "No hay pedidos de llamada." + navES}, {"4", badES + "No hay pedidos de llamada." + navES},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			typed := make([]string, 0, len(c.steps))
			steps := append([]step{{want: c.dial}}, c.steps...)
			for i, s := range steps {
				if i > 0 {
					typed = append(typed, s.in)
				}
				got := f.hop(t, "s1", c.phone, typed...)
				if got.Text != s.want {
					t.Fatalf("after %q:\ngot\n%s\nwant\n%s", strings.Join(typed, "*"), got.Text, s.want)
				}
				if got.End {
					t.Errorf("after %q: the session ended", strings.Join(typed, "*"))
				}
				if c.lang != "" && got.Lang != c.lang {
					t.Errorf("after %q: language %q, want %q", strings.Join(typed, "*"), got.Lang, c.lang)
				}
				if !gsm.DefaultLimits().Fits(got.Text) {
					t.Errorf("after %q: the screen does not fit: %q", strings.Join(typed, "*"), got.Text)
				}
			}
		})
	}
}

func TestReplyNamesItsNode(t *testing.T) {
	f := newFixture(t)
	r := f.dial(t, "s", phoneRosa, "2", "98", "00", "4")
	for i, want := range []string{"participant/main", "participant/visits", "participant/visits", "participant/main", "participant/callback.done"} {
		if r[i].Node != want {
			t.Errorf("reply %d: node %q, want %q", i, r[i].Node, want)
		}
	}
}

func TestSideEffects(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "pin", phoneRosa, "1", "1234", "4321", "1234", "1234")
	if n := f.store.count("SetPIN"); n != 1 {
		t.Errorf("a PIN chosen after a mismatch was stored %d times, want 1", n)
	}
	if f.store.pins[phoneRosa] != PINHasher(testPINKey, phoneRosa)("1234") {
		t.Error("the stored PIN is not the keyed hash of the one chosen")
	}
	if f.store.pins[phoneRosa] == PINHasher([]byte("another key"), phoneRosa)("1234") {
		t.Error("the PIN hash does not depend on the key")
	}

	f.dial(t, "lang", phoneRosa, "5", "3")
	if got := f.store.people[phoneRosa].Lang; got != "shp" || f.store.count("SetLanguage") != 1 {
		t.Errorf("language %q after choosing Shipibo (%d calls)", got, f.store.count("SetLanguage"))
	}
	if got := f.dial(t, "after", phoneRosa)[0]; !strings.HasPrefix(got.Text, "Jawekeskarin Rosa.") || got.Lang != "shp" {
		t.Errorf("the next session is not in Shipibo: %+v", got)
	}
}

// TestSessionKeepsNoPIN: pin.choose keeps only a keyed hash of the first
// entry in the session, and PINHasher is keyed "so that a copy of Redis
// alone does not reveal 4-digit PINs"; the stored session must then not
// hold the PINs typed either.
func TestSessionKeepsNoPIN(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "new", phoneRosa, "1", "1234", "1234")
	f.dial(t, "verify", phoneCarmen, "1", testPIN)
	for id, pin := range map[string]string{"new": "1234", "verify": testPIN} {
		if js := string(f.store.sessions[id]); strings.Contains(js, pin) {
			t.Errorf("the stored session holds the PIN %s in clear: %s", pin, js)
		}
	}
}

func TestCallbackOncePerDay(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "a", phoneRosa, "4")
	if got := f.dial(t, "b", phoneRosa, "4")[1].Text; !strings.HasPrefix(got, "Ya pidio hoy") {
		t.Errorf("a second request the same day: %q", got)
	}
	if n := len(f.store.callbacks[phoneCoach]); n != 1 {
		t.Errorf("the coach has %d requests, want 1", n)
	}
	if got := f.dial(t, "c", phoneCoach, "2")[1].Text; got != "Pedidos de llamada:\nRosa Quispe Huaman 900000001 27/11 10:00"+navES {
		t.Errorf("coach's call-back list:\n%s", got)
	}
	f.now = f.now.Add(24 * time.Hour)
	if got := f.dial(t, "d", phoneRosa, "4")[1].Text; !strings.HasPrefix(got, "Listo.") {
		t.Errorf("the next day a new request is taken: %q", got)
	}
}

func TestLockEndsAfter30Minutes(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "a", phoneCarmen, "1", "0000", "1111", "2222")
	f.now = f.now.Add(10 * time.Minute)
	if got := f.dial(t, "b", phoneCarmen, "1")[1].Text; got != strings.Replace(locked, "30", "20", 1) {
		t.Errorf("10 minutes into the lock:\n%s", got)
	}
	f.now = f.now.Add(21 * time.Minute)
	if got := f.dial(t, "c", phoneCarmen, "1", testPIN)[2].Text; !strings.HasPrefix(got, "Sus ahorros: S/ 1,234.56") {
		t.Errorf("after the lock the right PIN opens the savings: %q", got)
	}
}

func TestRepeatedHop(t *testing.T) {
	f := newFixture(t)
	first, again := f.hop(t, "s", phoneCarmen), f.hop(t, "s", phoneCarmen)
	if first != again {
		t.Errorf("the first hop twice: %+v then %+v", first, again)
	}
	f.hop(t, "s", phoneCarmen, "1")
	wrong := f.hop(t, "s", phoneCarmen, "1", "0000")
	for range 3 {
		if got := f.hop(t, "s", phoneCarmen, "1", "0000"); got != wrong {
			t.Errorf("a repeated hop got another reply:\n%+v\n%+v", got, wrong)
		}
	}
	if n := f.store.count("VerifyPIN"); n != 1 {
		t.Errorf("VerifyPIN called %d times for one hop, want 1", n)
	}
	if f.store.fails[phoneCarmen] != 1 {
		t.Errorf("%d failures counted, want 1", f.store.fails[phoneCarmen])
	}
	if got := f.hop(t, "s", phoneCarmen, "1", "0000", testPIN).Text; !strings.HasPrefix(got, "Sus ahorros") {
		t.Errorf("the hop after the repeats: %q", got)
	}

	f.hop(t, "cb", phoneRosa)
	cb := f.hop(t, "cb", phoneRosa, "4")
	if got := f.hop(t, "cb", phoneRosa, "4"); got != cb || f.store.count("RequestCallback") != 1 {
		t.Errorf("a repeated call-back hop: %q (RequestCallback %d times)", got.Text, f.store.count("RequestCallback"))
	}
}

// TestLatestInputOnly checks a gateway that sends only what was just typed
// against Africa's Talking's whole path: the screens must be the same.
func TestLatestInputOnly(t *testing.T) {
	for _, c := range []struct {
		name, phone string
		typed       []string
	}{
		{name: "pages and back", phone: phoneRosa, typed: []string{"2", "98", "0", "00", "3", "0", "9", "4"}},
		{name: "PIN chosen", phone: phoneRosa, typed: []string{"1", "1234", "0", "1", "4321", "00", "5", "1"}},
		{name: "wrong PINs", phone: phoneCarmen, typed: []string{"1", "0000", "1111", "2222", "00", "1"}},
		{name: "coach", phone: phoneCoach, typed: []string{"1", "98", "00", "2", "0", "5", "2"}},
		{name: "coach broadcast", phone: phoneCoach, typed: []string{"3", "1", "9999", "0900", "98", "1", "00", "4", "1", "1"}},
		{name: "same PIN twice to confirm", phone: phoneRosa, typed: []string{"1", "1234", "1234"}},
		{name: "back twice", phone: phoneRosa, typed: []string{"2", "98", "0", "0"}},
		{name: "an invalid option twice", phone: phoneRosa, typed: []string{"9", "9", "3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			full := newFixture(t).dial(t, "full", c.phone, c.typed...)
			latest := newFixture(t).dialLatest(t, "latest", c.phone, c.typed...)
			for i := range full {
				if full[i].Text != latest[i].Text || full[i].End != latest[i].End {
					t.Fatalf("after %q:\nwhole path gives\n%s\nlatest input gives\n%s", c.typed[:i], full[i].Text, latest[i].Text)
				}
			}
		})
	}
}

// retypeES is the line on top of a screen that a lost session was rebuilt
// to, short of a side effect: what was typed last was not applied.
const retypeES = "Se corto la sesion. Lo ultimo que escribio no se guardo.\n"

// TestLostSession deletes the session before the last hop: the engine
// rebuilds it from the path, replaying no side effect, and the input just
// typed is applied as usual; a replay that stops short of a side effect
// says that the last input was not applied.
func TestLostSession(t *testing.T) {
	for _, c := range []struct {
		name, phone string
		before      []string // hops answered before the session is lost
		path        []string // the path of the hop after the loss
		want        string   // "" means: what the intact session answers
		effects     []string // store calls the hop after the loss must not make
	}{
		{name: "second page then back", phone: phoneRosa, before: []string{"2", "98"}, path: []string{"2", "98", "0"}},
		{name: "second page", phone: phoneRosa, before: []string{"2"}, path: []string{"2", "98"}},
		{name: "past the last page", phone: phoneRosa, before: []string{"2", "98"}, path: []string{"2", "98", "98"}},
		{name: "invalid option", phone: phoneRosa, before: []string{"3"}, path: []string{"3", "7"}},
		{name: "from the first hop", phone: phoneRosa, path: []string{"3"}},
		{name: "Quechua menus", phone: phoneJuana, before: []string{"5"}, path: []string{"5", "0", "2"}},
		{name: "coach pages", phone: phoneCoach, before: []string{"1"}, path: []string{"1", "98"}},
		{name: "the last input is a side effect", phone: phoneRosa, before: []string{}, path: []string{"4"},
			want: "Listo. Su yachachiq Maximiliano recibio su pedido y le llamara." + navES},
		{name: "call-back crossed", phone: phoneRosa, before: []string{"4"}, path: []string{"4", "0"},
			want: retypeES + menuES, effects: []string{"RequestCallback"}},
		{name: "call-back crossed, then a page", phone: phoneRosa, before: []string{"4"}, path: []string{"4", "00", "2"},
			want: retypeES + menuES, effects: []string{"RequestCallback"}},
		{name: "PIN confirmation crossed", phone: phoneLucia, before: []string{"1", "1234"}, path: []string{"1", "1234", "1234", "0"},
			want: retypeES + confirmPIN, effects: []string{"SetPIN"}},
		{name: "PIN entry crossed", phone: phoneCarmen, before: []string{"1", testPIN}, path: []string{"1", testPIN, "0"},
			want: retypeES + askPIN, effects: []string{"VerifyPIN"}},
		{name: "wrong PIN crossed", phone: phoneCarmen, before: []string{"1"}, path: []string{"1", "0000", "1111"},
			want: retypeES + askPIN, effects: []string{"VerifyPIN"}},
		{name: "language crossed", phone: phoneRosa, before: []string{"5", "2"}, path: []string{"5", "2", "00"},
			// Quechua: the language was stored by the hop before the loss.
			want: "Rimanakuy kuchukurqan. Qhipa qillqasqaykiqa manam waqaychakurqanchu.\nSimiykita akllay:\n1 Español\n2 Runasimi\n3 Shipibo\n0 Kutiy  00 Menu", effects: []string{"SetLanguage"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if want == "" {
				want = newFixture(t).dial(t, "intact", c.phone, c.path...)[len(c.path)].Text
			}
			f := newFixture(t)
			f.dial(t, "s", c.phone, c.before...)
			f.store.lose("s")
			calls := map[string]int{}
			for _, e := range c.effects {
				calls[e] = f.store.count(e)
			}
			got := f.hop(t, "s", c.phone, c.path...)
			if got.Text != want || got.End {
				t.Errorf("after the loss, %q:\ngot\n%s\nwant\n%s", strings.Join(c.path, "*"), got.Text, want)
			}
			for _, e := range c.effects {
				if n := f.store.count(e) - calls[e]; n != 0 {
					t.Errorf("the replay called %s %d times", e, n)
				}
			}
			if s := f.store.session("s"); s == nil || len(s.Ins) != len(c.path) {
				t.Errorf("the rebuilt session was not saved at the hop's path: %+v", s)
			}
		})
	}
}

// TestLostSessionLatestInputGateway: a gateway that sends only the latest
// input cannot give the path back, so a lost session restarts at the main
// menu with session.restarted on top: the input is not applied, and the
// person is told.
func TestLostSessionLatestInputGateway(t *testing.T) {
	f := newFixture(t)
	f.dialLatest(t, "s", phoneRosa, "2")
	f.store.lose("s")
	calls := f.store.count("RequestCallback")
	if got := f.hopSeq(t, "s", phoneRosa, 2, "4").Text; got != "Empecemos de nuevo.\n"+menuES {
		t.Errorf("after the loss:\n%s", got)
	}
	if n := f.store.count("RequestCallback") - calls; n != 0 {
		t.Errorf("the input was applied on the main menu: %d call-back requests", n)
	}
}

// TestLostSessionThenContinues checks that a session rebuilt short of a
// side effect goes on normally from where the replay stopped.
func TestLostSessionThenContinues(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "s", phoneCarmen, "1", testPIN)
	f.store.lose("s")
	if got := f.hop(t, "s", phoneCarmen, "1", testPIN, "0").Text; got != retypeES+askPIN {
		t.Fatalf("the replay stopped at\n%s", got)
	}
	if got := f.hop(t, "s", phoneCarmen, "1", testPIN, "0", testPIN).Text; !strings.HasPrefix(got, "Sus ahorros: S/ 1,234.56") {
		t.Errorf("typing the PIN again: %q", got)
	}
}

func TestUnregistered(t *testing.T) {
	f := newFixture(t)
	for _, inputs := range [][]string{nil, {"1"}, {"1", "2", "1234"}} {
		got := f.hop(t, "s"+strings.Join(inputs, ""), phoneNobody, inputs...)
		want := Reply{Text: unregES, End: true, Lang: "es", Node: "unregistered"}
		if got != want {
			t.Errorf("unregistered with %q: %+v", inputs, got)
		}
	}
	for _, e := range []string{"SetPIN", "VerifyPIN", "RequestCallback", "SetLanguage", "Save"} {
		if n := f.store.count(e); n != 0 {
			t.Errorf("an unregistered number made %d %s calls", n, e)
		}
	}
}

func TestTooManyInputs(t *testing.T) {
	f := newFixture(t)
	many := strings.Split(strings.Repeat("9*", 64)+"9", "*")
	if _, err := f.eng.Handle(context.Background(), Hop{SessionID: "s", Phone: phoneRosa, Inputs: many}); !errors.Is(err, ErrTooManyInputs) {
		t.Errorf("65 inputs: %v, want ErrTooManyInputs", err)
	}
	if n := f.store.count("Load"); n != 0 {
		t.Errorf("65 inputs still loaded the session (%d)", n)
	}
	if got := f.hop(t, "s", phoneRosa, many[:64]...).Text; got != badES+menuES {
		t.Errorf("64 invalid options (a lost session replayed):\n%s", got)
	}
}

func TestStoreErrors(t *testing.T) {
	boom := errors.New("connection refused")
	for _, c := range []struct {
		name  string
		setup func(m *memStore)
		phone string
		path  []string
	}{
		{"load", func(m *memStore) { m.failLoad = boom }, phoneRosa, []string{"2"}},
		{"load on the first hop", func(m *memStore) { m.failLoad = boom }, phoneRosa, nil},
		{"load of an unknown number", func(m *memStore) { m.failLoad = boom }, phoneNobody, nil},
		{"save", func(m *memStore) { m.failSave = boom }, phoneRosa, []string{"2"}},
		{"PIN check", func(m *memStore) { m.failEffects = boom }, phoneCarmen, []string{"1", testPIN}},
		{"call-back", func(m *memStore) { m.failEffects = boom }, phoneRosa, []string{"4"}},
		{"PIN save", func(m *memStore) { m.failEffects = boom }, phoneRosa, []string{"1", "1234", "1234"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if len(c.path) > 0 {
				f.dial(t, "s", c.phone, c.path[:len(c.path)-1]...)
			}
			c.setup(f.store)
			r, err := f.eng.Handle(context.Background(), Hop{SessionID: "s", Phone: c.phone, Inputs: c.path})
			if !errors.Is(err, boom) {
				t.Errorf("got %+v, %v; want an error wrapping %v", r, err, boom)
			}
		})
	}
	busy := newFixture(t).eng.Busy()
	if want := (Reply{Text: "Willay esta ocupado. Intente de nuevo en unos minutos.", End: true, Lang: "es", Node: "busy"}); busy != want {
		t.Errorf("Busy() = %+v", busy)
	}
}

// changedBundle is the shipped bundle with one Spanish text changed.
func changedBundle(t *testing.T) *Bundle {
	t.Helper()
	files := map[string][]byte{}
	for k, v := range shippedBundle(t).Files {
		files[k] = v
	}
	files["locales/es.yaml"] = []byte(strings.Replace(string(files["locales/es.yaml"]), "other: Mis ahorros", "other: Mi alcancia", 1))
	b, err := LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version() == shippedBundle(t).Version() {
		t.Fatal("a changed text did not change the version")
	}
	return b
}

func TestSessionKeepsItsFlowsVersion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.eng.Library.Publish(ctx, shippedBundle(t)); err != nil {
		t.Fatal(err)
	}
	f.dial(t, "old", phoneRosa, "2")
	if err := f.eng.Library.Publish(ctx, changedBundle(t)); err != nil {
		t.Fatal(err)
	}
	if got := f.hop(t, "old", phoneRosa, "2", "00").Text; got != menuES {
		t.Errorf("a running session must keep its version:\n%s", got)
	}
	if got := f.hop(t, "new", phoneRosa).Text; !strings.Contains(got, "1 Mi alcancia") {
		t.Errorf("a new session must get the new version:\n%s", got)
	}

	// A restarted process knows only the new bundle: the old one comes
	// from its snapshot.
	f.eng.Library = NewLibrary(f.store, changedBundle(t))
	if got := f.hop(t, "old", phoneRosa, "2", "00", "2").Text; got != visits1 {
		t.Errorf("after a restart:\n%s", got)
	}
	if got := f.hop(t, "old", phoneRosa, "2", "00", "2", "00").Text; got != menuES {
		t.Errorf("after a restart, the old texts:\n%s", got)
	}
}

// TestSessionRestartedWhenItsVersionIsGone: a session whose flows version
// has no snapshot cannot continue; per locales/es.yaml session.restarted
// ("Shown on top of the main menu when a session could not be continued")
// the person gets the main menu with that line, and nothing typed on the
// old version is applied to the new one.
func TestSessionRestartedWhenItsVersionIsGone(t *testing.T) {
	f := newFixture(t)
	f.dial(t, "s", phoneRosa, "4")
	s := f.store.session("s")
	s.Version = "0123456789ab" // no bundle, no snapshot
	if err := f.store.Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	calls := f.store.count("RequestCallback")
	got := f.hop(t, "s", phoneRosa, "4", "0")
	if want := "Empecemos de nuevo.\n" + menuES; got.Text != want {
		t.Errorf("got\n%s\nwant\n%s", got.Text, want)
	}
	if n := f.store.count("RequestCallback") - calls; n != 0 {
		t.Errorf("the old path was applied on the new flows: %d call-back requests", n)
	}
}

// TestVersionLoadFailureIsBusy: storage failing while loading a session's
// flows version is not "the version is gone": the hop fails (the busy
// screen), the session is not restarted, and it goes on once storage
// answers.
func TestVersionLoadFailureIsBusy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.eng.Library.Publish(ctx, shippedBundle(t)); err != nil {
		t.Fatal(err)
	}
	f.dial(t, "old", phoneRosa, "2")
	f.eng.Library = NewLibrary(f.store, changedBundle(t)) // a restart: the old version is in its snapshot only
	before := f.store.session("old")
	f.store.failSnapshots = context.DeadlineExceeded
	if _, err := f.eng.Handle(ctx, Hop{Gateway: "test", SessionID: "old", Phone: phoneRosa, Inputs: []string{"2", "00"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a timeout loading the version: %v, want the timeout (busy)", err)
	}
	if after := f.store.session("old"); after.Version != before.Version || after.Node != before.Node || after.Reply != before.Reply {
		t.Errorf("the session was overwritten: %+v, was %+v", after, before)
	}
	f.store.failSnapshots = nil
	if got := f.hop(t, "old", phoneRosa, "2", "00").Text; got != menuES {
		t.Errorf("once storage answers, the session goes on on its version:\n%s", got)
	}
}

// TestLateRetryOfAnEarlierHop: a gateway's retry of an earlier hop that
// arrives after a later one must not move the session.
func TestLateRetryOfAnEarlierHop(t *testing.T) {
	t.Run("first hop", func(t *testing.T) {
		f := newFixture(t)
		f.dial(t, "s", phoneRosa, "2")
		f.hop(t, "s", phoneRosa) // the first request again, late
		if got := f.hop(t, "s", phoneRosa, "2", "98").Text; got != visits2 {
			t.Errorf("after a late retry of the first hop:\n%s", got)
		}
	})
	t.Run("second hop", func(t *testing.T) {
		f := newFixture(t)
		f.dial(t, "s", phoneRosa, "1", "1234")
		f.hop(t, "s", phoneRosa, "1") // the second request again, late
		if got := f.hop(t, "s", phoneRosa, "1", "1234", "1234").Text; got != "Sus ahorros: S/ 350.00 al 20/11."+navES {
			t.Errorf("after a late retry of an earlier hop:\n%s", got)
		}
	})
}

// TestShippedFlowsCheck keeps the bundle these tests run on valid.
func TestShippedFlowsCheck(t *testing.T) {
	for _, p := range Check(shippedBundle(t), Actions(), testScreens()) {
		if p.Severity == flow.Error {
			t.Errorf("%+v", p)
		}
	}
}

// TestConcurrentSessions runs sessions of every language at once over one
// engine, which must be safe for concurrent use (run with -race).
func TestConcurrentSessions(t *testing.T) {
	f := newFixture(t)
	phones := []string{phoneRosa, phoneJuana, phoneYnes, phoneMaria, phoneLucia, phoneCoach, phoneNobody}
	paths := [][]string{{"2", "98", "0", "00", "3"}, {"5", "0", "1", "0"}, {"1", "98", "0", "2"}}
	want := map[string]string{}
	for _, ph := range phones {
		for j, p := range paths {
			want[ph+string(rune('a'+j))] = newFixture(t).dial(t, "ref", ph, p...)[len(p)].Text
		}
	}
	var wg sync.WaitGroup
	for _, ph := range phones {
		for j, p := range paths {
			wg.Go(func() {
				id := ph + string(rune('a'+j))
				replies := []Reply{}
				for i := 0; i <= len(p); i++ {
					r, err := f.eng.Handle(context.Background(), Hop{SessionID: id, Phone: ph, Inputs: p[:i]})
					if err != nil {
						t.Error(err)
						return
					}
					replies = append(replies, r)
				}
				if got := replies[len(p)].Text; got != want[id] {
					t.Errorf("%s %q: got\n%s\nwant\n%s", ph, p, got, want[id])
				}
			})
		}
	}
	wg.Wait()
}

// TestSMSFromUSSD: the visits page sends its whole list by SMS, once per
// hop, and a call-back request alerts the coach by SMS.
func TestSMSFromUSSD(t *testing.T) {
	f := newFixture(t)
	got := f.dial(t, "v", phoneRosa, "2", "1")
	if !strings.HasPrefix(got[2].Text, "Listo. Le enviamos un SMS") {
		t.Errorf("after 2*1: %q", got[2].Text)
	}
	f.hop(t, "v", phoneRosa, "2", "1") // repeated by the gateway
	var sent []Message
	for _, m := range f.store.sms {
		sent = append(sent, m)
	}
	if len(sent) != 1 {
		t.Fatalf("want one SMS, got %+v", sent)
	}
	want := "Proximas visitas y capacitaciones:\n28/11 09:00 Visita: Biohuerto familiar. Su casa\n" +
		"30/11 14:00 Capacitacion: Cocina mejorada. Local comunal de Santa Rosa\n03/12 15:00 Reunion: Reunion de ahorro. Local comunal"
	if m := sent[0]; m.To != phoneRosa || m.Text != want || !m.Exempt || m.Kind != "reply" {
		t.Errorf("the SMS: %+v", m)
	}

	f.dial(t, "cb", phoneRosa, "4")
	var alert *Message
	for _, m := range f.store.sms {
		if m.Kind == "callback" {
			alert = &m
		}
	}
	if alert == nil || alert.To != phoneCoach || !strings.Contains(alert.Text, "Rosa Quispe Huaman") || !strings.Contains(alert.Text, "900000001") {
		t.Errorf("the coach's alert: %+v", alert)
	}
}

// TestCoachBroadcastMenu makes a broadcast from the coach menu: what it
// asks, one broadcast however the confirmation is repeated, and a cancel.
func TestCoachBroadcastMenu(t *testing.T) {
	f := newFixture(t)
	replies := f.dial(t, "b", phoneCoach, "3", "2", "3102", "0112", "2500", "1500")
	for i, want := range []string{
		"Recordatorio a su grupo", "Fecha: dia y mes", "Fecha no valida: elija un dia de los proximos 60 dias.",
		"Hora: 4 numeros", "Escriba 4 numeros: hora y minutos", "Para 5 de HW-HVCA-01 (2 es, 2 qu, 1 shp), cada uno en su idioma:\nWillay: Reunion de su grupo el 01/12 a las 15:00. Le espera su yachachiq Maximiliano.\n1 Enviar",
	} {
		if !strings.Contains(replies[i+1].Text, want) {
			t.Errorf("after %d inputs: want %q in\n%s", i+1, want, replies[i+1].Text)
		}
	}
	sent := f.hop(t, "b", phoneCoach, "3", "2", "3102", "0112", "2500", "1500", "1")
	if !strings.Contains(sent.Text, "Sale: 10:02, a 5 destinatarios.") {
		t.Errorf("confirmation: %s", sent.Text)
	}
	f.hop(t, "b", phoneCoach, "3", "2", "3102", "0112", "2500", "1500", "1")           // the gateway repeats it
	f.hop(t, "b", phoneCoach, "3", "2", "3102", "0112", "2500", "1500", "1", "0", "1") // back, and confirm again
	mine, _ := f.broadcasts.BroadcastsBy(context.Background(), phoneCoach, 10)
	if len(mine) != 1 {
		t.Fatalf("%d broadcasts, want 1", len(mine))
	}
	b := mine[0]
	if b.Template != "meeting" || b.Date != "2026-12-01" || b.Time != "15:00" || b.Count != 5 || !b.At.Equal(testNow.Add(2*time.Minute)) {
		t.Errorf("broadcast %+v", b)
	}
	list := f.dial(t, "m", phoneCoach, "4", "1", "1")
	if !strings.Contains(list[1].Text, "Reunion de grupo: por salir") || !strings.Contains(list[3].Text, "Envio cancelado.") {
		t.Errorf("my broadcasts and cancel:\n%s\n%s", list[1].Text, list[3].Text)
	}
	if got, _ := f.broadcasts.Broadcast(context.Background(), b.ID); got.Status != "cancelled" {
		t.Errorf("status %s after cancel", got.Status)
	}
}
