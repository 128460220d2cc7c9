package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twiliotest"
)

const remCrashPeople = 5_000

// remCrashRules replaces flows/reminders.yaml: one reminder an hour before
// each visit, and quiet hours that are empty (from == to), so that the
// test works at any hour of the day.
const remCrashRules = `quiet_hours: {from: "00:00", to: "00:00"}
rules:
  - {id: visit.hour_before, event: visit, before: 1h, text: sms.reminder.visit.today}
`

// TestReminderDispatchKilledLosesNothing gives 5,000 participants a visit
// whose reminder falls due at the next minute, lets `willay worker` plan
// them and start dispatching, kills it with SIGKILL in the middle of the
// dispatch (some reminders queued in the SMS pipeline, the rest still in the
// due set), starts it again, and counts what Twilio received: one reminder
// per participant, and at most the worker's concurrency twice (the sends
// in flight at the kill).
func TestReminderDispatchKilledLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the willay binary")
	}
	t.Parallel()
	ctx := context.Background()
	r := testredis.New(t)
	fake := twiliotest.New(t, twiliotest.Options{})
	fake.SetDelay(20 * time.Millisecond) // 8 sends in flight at ~400/s: sending still going on at the kill
	store := redisstore.New(r.Client, r.Prefix, redisstore.DefaultOptions(), nil)
	t.Cleanup(store.Close)
	queue := r.Queue(t)
	bin := buildWillay(t)
	flows := remCrashFlows(t)

	// Reminders go out at whole minutes (events have a minute, rules count
	// minutes), and planning keeps only those not yet past: the reminders
	// fall due at the next minute that leaves time to seed and plan.
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Truncate(time.Minute).Add(time.Minute)
	if time.Until(due) < 3*time.Second { // seeding and planning take well under a second
		due = due.Add(time.Minute)
	}
	visit := due.Add(time.Hour).In(lima)
	phones := remCrashSeed(t, store, visit)

	dueKey, logKey := r.Prefix+"rem:due", store.Keys().SMSLog()
	zcard := func(key string) int {
		n, err := r.Client.ZCard(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}

	worker := startWorker(t, bin, r, fake, flows)
	waitUntil(t, 30*time.Second, func() bool {
		return zcard(dueKey) == remCrashPeople || zcard(r.Prefix+"rem:skipped") > 0
	})
	if n := zcard(dueKey); n != remCrashPeople {
		t.Fatalf("the worker planned %d of %d reminders due at %s (skipped: %v)", n, remCrashPeople,
			due.In(lima).Format("15:04:05"), remCrashSkips(t, r))
	}
	t.Logf("%d reminders planned for %s; waiting for their dispatch", remCrashPeople, due.In(lima).Format("15:04:05"))

	// Kill once a fifth of the reminders is in the pipeline.
	waitUntil(t, 2*time.Minute, func() bool { return zcard(logKey) >= remCrashPeople/5 })
	if err := worker.Process.Kill(); err != nil { // SIGKILL: no shutdown, no cleanup
		t.Fatal(err)
	}
	_ = worker.Wait()
	queuedAtKill, dueAtKill, sentAtKill := zcard(logKey), zcard(dueKey), fake.Count()
	t.Logf("killed: %d reminders queued in the pipeline, %d still in the due set, %d received by Twilio",
		queuedAtKill, dueAtKill, sentAtKill)
	if queuedAtKill >= remCrashPeople || dueAtKill == 0 {
		t.Fatalf("the dispatch had finished before the kill (%d queued, %d still due): nothing was tested",
			queuedAtKill, dueAtKill)
	}
	restarted := time.Now()

	startWorker(t, bin, r, fake, flows)
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	var q *asynq.QueueInfo
	// Sends in flight at the kill come back when asynq's lease on them
	// expires, about a minute later.
	waitUntil(t, 150*time.Second, func() bool {
		q, err = insp.GetQueueInfo(queue)
		return err == nil && zcard(dueKey) == 0 && q.Pending+q.Active+q.Scheduled+q.Retry == 0
	})
	t.Logf("after the restart: due set and queue empty in %s", time.Since(restarted).Round(time.Second))

	text := map[string]string{}
	for i, ph := range phones {
		text[ph] = fmt.Sprintf("Willay: hoy a las %s su yachachiq la visita: Biohuerto %d. Su casa.", visit.Format("15:04"), i)
	}
	perPhone := map[string]int{}
	var wrong []string
	for _, m := range fake.Messages() {
		perPhone[m.To]++
		if m.Body != text[m.To] {
			wrong = append(wrong, fmt.Sprintf("%s got %q", m.To, m.Body))
		}
	}
	var lost, twice, more []string
	for _, ph := range phones {
		switch n := perPhone[ph]; {
		case n == 0:
			lost = append(lost, ph)
		case n == 2:
			twice = append(twice, ph)
		case n > 2:
			more = append(more, ph)
		}
	}
	dups := fake.Count() - len(perPhone)
	notSent := remCrashNotSent(t, r, store, phones)
	t.Logf("%d participants: %d reminders received by Twilio, %d distinct recipients, %d lost, %d duplicates; "+
		"%d messages not sent; queue archived %d", remCrashPeople, fake.Count(), len(perPhone), len(lost), dups,
		len(notSent), q.Archived)
	if len(lost) > 0 {
		t.Errorf("%d of %d participants got no reminder (e.g. %s); skips recorded: %v",
			len(lost), remCrashPeople, lost[0], remCrashSkips(t, r))
	}
	if len(more) > 0 || dups > crashConcurrency {
		t.Errorf("%d duplicates (%d participants twice, %d more than twice), want at most the worker's concurrency (%d)",
			dups, len(twice), len(more), crashConcurrency)
	}
	if len(perPhone) > remCrashPeople || len(wrong) > 0 {
		t.Errorf("%d recipients for %d participants; %d texts not the recipient's reminder, e.g. %v",
			len(perPhone), remCrashPeople, len(wrong), wrong[:min(len(wrong), 1)])
	}
	if len(notSent) > 0 {
		t.Errorf("%d reminders not marked sent in Redis, e.g. %s", len(notSent), notSent[0])
	}
	if n := zcard(dueKey); n != 0 {
		t.Errorf("%d reminders left in the due set", n)
	}
	if q.Archived != 0 {
		t.Errorf("%d tasks archived in the queue", q.Archived)
	}
}

// remCrashFlows is a copy of flows/ with remCrashRules as reminders.yaml.
func remCrashFlows(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	names, err := filepath.Glob("../../flows/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("flows: %v %v", names, err)
	}
	for _, n := range names {
		buf, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(n) == "reminders.yaml" {
			buf = []byte(remCrashRules)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// remCrashSeed imports the participants, each with a visit at `visit` on a
// topic of their own, so that every reminder's text is distinct too.
func remCrashSeed(t *testing.T, store *redisstore.Store, visit time.Time) []string {
	t.Helper()
	ctx := context.Background()
	phones := make([]string, remCrashPeople)
	for start := 0; start < remCrashPeople; start += 1000 {
		var people []importer.ParticipantRow
		var visits []importer.EventRow
		for i := start; i < min(start+1000, remCrashPeople); i++ {
			ph := fmt.Sprintf("+5197%07d", i)
			phones[i] = ph
			people = append(people, importer.ParticipantRow{Phone: ph, Name: "Rosa", Language: "es", Group: "G1"})
			visits = append(visits, importer.EventRow{Phone: ph, Event: program.Event{ID: "v", Kind: program.Visit,
				Date: visit.Format("2006-01-02"), Time: visit.Format("15:04"), Place: "Su casa", Topic: fmt.Sprint("Biohuerto ", i)}})
		}
		if err := store.ApplyParticipants(ctx, people); err != nil {
			t.Fatal(err)
		}
		if err := store.ApplyEvents(ctx, visits); err != nil {
			t.Fatal(err)
		}
	}
	return phones
}

// remCrashNotSent lists the reminders whose message is missing or not sent.
func remCrashNotSent(t *testing.T, r *testredis.Redis, store *redisstore.Store, phones []string) []string {
	t.Helper()
	ctx := context.Background()
	cmds := make([]*redis.StringCmd, len(phones))
	pipe := r.Client.Pipeline()
	for i, ph := range phones {
		cmds[i] = pipe.HGet(ctx, store.Keys().SMS("rem:"+ph+":v:visit.hour_before"), "status")
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	var out []string
	for i, c := range cmds {
		if st := c.Val(); st != string(sms.Sent) {
			out = append(out, fmt.Sprintf("%s: status %q", phones[i], st))
		}
	}
	return out
}

// remCrashSkips counts the recorded skips by reason.
func remCrashSkips(t *testing.T, r *testredis.Redis) map[string]int {
	t.Helper()
	all, err := r.Client.ZRange(context.Background(), r.Prefix+"rem:skipped", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range all {
		parts := strings.SplitN(s, "|", 4)
		out[parts[len(parts)-1]]++
	}
	return out
}
