package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestCoachBroadcastThroughUSSD: a coach, with the menu in each language,
// sends "visit tomorrow" to a group from the USSD endpoint; after the grace
// period each member gets it in their own language, the one who opted out
// gets nothing, and the coach gets one summary SMS naming her.
func TestCoachBroadcastThroughUSSD(t *testing.T) {
	want := map[string]string{
		demo.Spanish: "Willay: Mañana 28/11 a las 09:00 su yachachiq Maximiliano visitara su casa. Por favor esté presente.",
		demo.Cusco:   "Willay: Paqarin 28/11, 09:00 urapi, yachachiq Maximiliano wasiykita watukamunqa. Wasiykipi kay.",
	}
	summary := map[string]string{
		"es":  `Willay: su envio "Visita mañana" llego a 2 de 3. No llego a 1: Juana Mamani. Aviseles en persona.`,
		"qu":  `Willay: "Paqarin watukuy" apachisqaykiqa 3-manta 2-man chayarqan. Mana chayarqanchu 1: Juana Mamani. Paykunaman willay.`,
		"shp": `Willay: min bomakana "Bakish merati" 3 jonibo meran 2 nokoke. Nokoyamake 1: Juana Mamani. Jawen xobon yoiwe.`,
	}
	for _, lang := range []string{"es", "qu", "shp"} {
		t.Run(lang, func(t *testing.T) {
			e := start(t)
			ctx := context.Background()
			coach := &program.Person{Phone: demo.CoachOne, Role: program.Coach}
			if err := e.app.Store.SetLanguage(ctx, coach, lang); err != nil {
				t.Fatal(err)
			}
			if err := e.app.Store.SetOptOut(ctx, demo.Quechua, true); err != nil { // Juana sent BAJA
				t.Fatal(err)
			}
			replies := e.dial("b", demo.CoachOne, "3", "1", "0900", "1", "1")
			if last := replies[len(replies)-1]; !strings.HasPrefix(last, "CON ") || !strings.Contains(last, "3") {
				t.Fatalf("confirmation: %q", last)
			}
			bs := e.app.Broadcasts
			made, _ := bs.Mine(ctx, demo.CoachOne, 5)
			if len(made) != 1 || made[0].Status != broadcast.Scheduled || made[0].Template != "visit" || made[0].Date != "2026-11-28" ||
				made[0].Time != "09:00" || made[0].Count != 3 || made[0].Groups[0] != "HW-HVCA-01" {
				t.Fatalf("the confirmation made %+v", made)
			}
			if n, err := bs.Dispatch(ctx); err != nil || n != 0 {
				t.Fatalf("within the grace period nothing leaves: %d %v", n, err)
			}
			e.clock.t = e.clock.t.Add(2 * time.Minute)
			if n, err := bs.Dispatch(ctx); err != nil || n != 3 {
				t.Fatalf("after the grace period: queued %d, %v; want 3 (Rosa, Juana, Maria)", n, err)
			}
			juana := e.app.Engine.SMSText("qu", "sms.broadcast.visit", map[string]any{"Date": "28/11", "Time": "09:00", "Coach": "Maximiliano"})
			want[demo.Quechua] = juana
			for phone, text := range want {
				msgs, _ := e.app.Store.Messages(ctx, phone, "", 10)
				if len(msgs) != 1 || msgs[0].Text != text || msgs[0].Kind != "broadcast" {
					t.Errorf("%s got %d messages %q, want %q", phone, len(msgs), texts(msgs), text)
				}
			}
			if msgs, _ := e.app.Store.Messages(ctx, demo.Shipibo, "", 10); len(msgs) != 0 {
				t.Errorf("Ynes is in another group: %+v", msgs)
			}
			runPipeline(t, e)
			mine, _ := bs.Mine(ctx, demo.CoachOne, 1)
			waitFor(t, func() bool {
				r, err := bs.Report(ctx, mine[0].ID)
				return err == nil && r.Pending == 0
			})
			for range 2 { // settling twice sends one summary
				if err := bs.Settle(ctx); err != nil {
					t.Fatal(err)
				}
			}
			msgs, _ := e.app.Store.Messages(ctx, demo.CoachOne, "", 10)
			if len(msgs) != 1 || msgs[0].Text != summary[lang] {
				t.Errorf("summary to the coach: %q, want %q", texts(msgs), summary[lang])
			}
			r, _ := bs.Report(ctx, mine[0].ID)
			if r.Status != broadcast.Done || r.Reached != 2 || r.Counts[sms.Failed] != 1 || len(r.Unreached) != 1 || r.Unreached[0].Phone != demo.Quechua {
				t.Errorf("report %+v", r)
			}
		})
	}
}

// runPipeline works the SMS queue into the outbox until the test ends.
func runPipeline(t *testing.T, e *testEnv) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.SMS.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond for up to 20 s: the SMS worker runs on real time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 20 s")
}

// TestCoachBroadcastLimitAndCancel: the daily limit stops a second
// broadcast; cancelling gives it back, and a cancelled broadcast sends
// nothing.
func TestCoachBroadcastLimitAndCancel(t *testing.T) {
	r := testredis.New(t)
	cfg := testConfig(t, r, "../../flows", "../../locales")
	cfg.BroadcastLimit = 1
	e := startOn(t, r, cfg)
	ctx := context.Background()
	coach := &program.Person{Phone: demo.CoachOne, Role: program.Coach}
	if err := e.app.Store.SetLanguage(ctx, coach, "es"); err != nil {
		t.Fatal(err)
	}
	e.dial("b1", demo.CoachOne, "3", "4", "0112", "2", "1") // payment day, 1 December, to NJ-UCAY-02
	again := e.dial("b2", demo.CoachOne, "3", "1")
	if !strings.Contains(again[2], "Ya hizo hoy todos los envios permitidos.") {
		t.Errorf("over the limit: %q", again[2])
	}
	cancel := e.dial("c", demo.CoachOne, "4", "1", "1")
	if !strings.Contains(cancel[3], "Envio cancelado.") {
		t.Errorf("cancel: %q", cancel[3])
	}
	if after := e.dial("b3", demo.CoachOne, "3", "1"); !strings.Contains(after[2], "Hora:") {
		t.Errorf("a cancelled broadcast does not count toward the limit: %q", after[2])
	}
	e.clock.t = e.clock.t.Add(5 * time.Minute)
	if n, err := e.app.Broadcasts.Dispatch(ctx); err != nil || n != 0 {
		t.Errorf("a cancelled broadcast sends nothing: %d %v", n, err)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Shipibo, "", 10); len(msgs) != 0 {
		t.Errorf("Ynes got %+v", msgs)
	}
	// Once it has left, cancelling is refused.
	e.dial("b4", demo.CoachOne, "3", "4", "0112", "2", "1")
	e.clock.t = e.clock.t.Add(3 * time.Minute)
	if n, _ := e.app.Broadcasts.Dispatch(ctx); n != 1 {
		t.Fatalf("queued %d, want 1", n)
	}
	late := e.dial("c2", demo.CoachOne, "4", "1", "1")
	if !strings.Contains(late[3], "Ya salio: no se puede cancelar.") {
		t.Errorf("cancel after it left: %q", late[3])
	}
}

// TestCoachReachesOnlyOwnGroups: a coach sees and reaches only the groups
// they lead, and cannot cancel another's broadcast.
func TestCoachReachesOnlyOwnGroups(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const other = "+51900000008"
	if err := e.app.Store.ApplyCoaches(ctx, []importer.CoachRow{{Phone: other, Name: "Lidia Ramos", Language: "es", Group: "NJ-UCAY-02"}}); err != nil {
		t.Fatal(err)
	}
	coach := &program.Person{Phone: demo.CoachOne, Role: program.Coach}
	if err := e.app.Store.SetLanguage(ctx, coach, "es"); err != nil {
		t.Fatal(err)
	}
	// One group: no group question; the preview counts only Ynes.
	got := e.dial("o", other, "3", "1", "0900")
	if !strings.Contains(got[3], "Para 1 de NJ-UCAY-02 (1 shp)") {
		t.Errorf("preview: %q", got[3])
	}
	e.dial("o", other, "3", "1", "0900", "1")
	theirs, _ := e.app.Broadcasts.Mine(ctx, other, 1)
	if len(theirs) != 1 || theirs[0].Count != 1 || theirs[0].Groups[0] != "NJ-UCAY-02" {
		t.Fatalf("broadcast %+v", theirs)
	}
	if err := e.app.Broadcasts.Cancel(ctx, theirs[0].ID, demo.CoachOne); !errors.Is(err, broadcast.ErrNotYours) {
		t.Errorf("another coach cancels: %v", err)
	}
	if mine := e.dial("m", demo.CoachOne, "4"); !strings.Contains(mine[1], "Aun no hizo envios.") {
		t.Errorf("another coach's broadcasts are not listed: %q", mine[1])
	}
}

// failingSender fails every send after the first n, as a process dying in
// the middle of queueing would stop.
type failingSender struct {
	next broadcast.Sender
	n    int
}

func (f *failingSender) Send(ctx context.Context, r outbound.Request) (*sms.Message, error) {
	if f.n <= 0 {
		return nil, errors.New("process died")
	}
	f.n--
	return f.next.Send(ctx, r)
}

// TestBroadcastQueueingResumesAfterACrash: a dispatcher that dies half-way
// through queueing a staff broadcast leaves it claimed; after the lease,
// another finishes it, and every recipient has exactly one message.
func TestBroadcastQueueingResumesAfterACrash(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const n = 300
	rows := make([]importer.ParticipantRow, n)
	for i := range rows {
		rows[i] = importer.ParticipantRow{Phone: fmt.Sprintf("+5197100%04d", i), Name: fmt.Sprintf("Persona %d", i),
			Language: []string{"es", "qu", "shp"}[i%3], Community: "Ccasapata", District: "Yauli", Region: "Huancavelica", Group: "CRASH-01"}
	}
	if err := e.app.Store.ApplyParticipants(ctx, rows); err != nil {
		t.Fatal(err)
	}
	b := &broadcast.Broadcast{By: "staff:test", ByName: "Oficina Yauli", Template: "payment", Date: "2026-12-01", Groups: []string{"CRASH-01"}}
	if count, err := e.app.Broadcasts.Create(ctx, b); err != nil || count != n {
		t.Fatalf("create: %d %v", count, err)
	}
	dying := *e.app.Broadcasts
	dying.SMS = &failingSender{next: e.app.SMS, n: 120}
	if _, err := dying.Dispatch(ctx); err == nil {
		t.Fatal("the dying dispatcher reports its failure")
	}
	if got, _ := e.app.Broadcasts.Dispatch(ctx); got != 0 {
		t.Errorf("within the lease nobody else takes it: queued %d", got)
	}
	e.clock.t = e.clock.t.Add(6 * time.Minute)
	if got, err := e.app.Broadcasts.Dispatch(ctx); err != nil || got != n {
		t.Fatalf("after the lease: queued %d, %v", got, err)
	}
	r, err := e.app.Broadcasts.Report(ctx, b.ID)
	if err != nil || r.Status != broadcast.Queued || r.Counts[sms.Queued] != n || r.Counts[""] != 0 {
		t.Errorf("report %+v %v", r, err)
	}
	if size := e.queueSize(t); size != n {
		t.Errorf("%d tasks queued for %d recipients", size, n)
	}
	// A broadcast whose record expired before its summary leaves the open
	// set without holding up the others.
	if err := e.redis.Client.Del(ctx, e.redis.Prefix+"bc:"+b.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Broadcasts.Settle(ctx); err != nil {
		t.Errorf("settle with an expired broadcast: %v", err)
	}
	if open, _ := e.app.Store.Open(ctx); len(open) != 0 {
		t.Errorf("still open: %v", open)
	}
	// Each language got its own text.
	for i, lang := range []string{"es", "qu", "shp"} {
		msgs, _ := e.app.Store.Messages(ctx, rows[i].Phone, "", 5)
		if len(msgs) != 1 || msgs[0].Lang != lang || msgs[0].Text != e.app.Engine.SMSText(lang, "sms.broadcast.payment", map[string]any{"Date": "01/12", "Coach": "Oficina"}) {
			t.Errorf("%s: %+v", lang, msgs)
		}
	}
}

// queueSize counts the tasks in the SMS queue.
func (e *testEnv) queueSize(t *testing.T) int {
	t.Helper()
	q, err := asynq.NewInspectorFromRedisClient(e.redis.Client).GetQueueInfo(e.app.Store.Keys().Queue())
	if err != nil {
		t.Fatal(err)
	}
	return q.Pending + q.Scheduled + q.Retry + q.Active
}

func texts(msgs []*sms.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// TestCoachBroadcastAtNightLeavesInTheMorning: a broadcast confirmed in the
// quiet hours waits for their end, and says so.
func TestCoachBroadcastAtNightLeavesInTheMorning(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	coach := &program.Person{Phone: demo.CoachOne, Role: program.Coach}
	if err := e.app.Store.SetLanguage(ctx, coach, "es"); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 21, 40, 0, 0, lima)
	got := e.dial("n", demo.CoachOne, "3", "4", "0112", "2", "1") // payment day to NJ-UCAY-02
	if !strings.Contains(got[5], "Sale: 28/11 07:00, a 1 destinatario.") {
		t.Errorf("confirmation at night: %q", got[5])
	}
	e.clock.t = time.Date(2026, 11, 28, 6, 59, 0, 0, lima)
	if n, _ := e.app.Broadcasts.Dispatch(ctx); n != 0 {
		t.Errorf("sent %d in the quiet hours", n)
	}
	e.clock.t = time.Date(2026, 11, 28, 7, 0, 0, 0, lima)
	if n, _ := e.app.Broadcasts.Dispatch(ctx); n != 1 {
		t.Errorf("at 07:00 sent %d, want 1", n)
	}
}
