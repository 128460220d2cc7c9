package app

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twiliotest"
)

// keyRow is one line of the key table in internal/redisstore/keys.go.
type keyRow struct {
	pattern, typ, ttl string
	re                *regexp.Regexp
}

// keyTable reads the table of keys.go: the rows under P, as "P pattern
// type TTL writer" with {names} standing for any value.
func keyTable(t *testing.T) []keyRow {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "redisstore", "keys.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []keyRow
	in := false
	placeholder := regexp.MustCompile(`\{[^}]*\}`)
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "//\tkey "):
			in = true
			continue
		case in && strings.TrimSpace(line) == "//":
			return rows
		case !in || !strings.HasPrefix(line, "//\tP "):
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "//\t"))
		parts := placeholder.Split(f[1], -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		rows = append(rows, keyRow{pattern: f[1], typ: f[2], ttl: f[3], re: regexp.MustCompile("^" + strings.Join(parts, ".+") + "$")})
	}
	t.Fatal("keys.go has no key table")
	return nil
}

// TestKeyTable keeps the table of keys.go true: after a day of the
// service (demo data, hops with PINs and a call-back, SMS in and out
// through Twilio and the outbox, a coach's broadcast, reminders, an
// import), every key under the prefix is one of the table's, of the type
// and with the TTL (or none) it states, and no key of the installation
// lies outside the prefix but asynq's queue.
func TestKeyTable(t *testing.T) {
	rows := keyTable(t)
	r := testredis.New(t)
	r.Queue(t)
	keyTableDay(t, r)
	ctx := context.Background()
	seen := map[string]bool{}
	for _, k := range r.Keys(t) {
		typ := r.Client.Type(ctx, r.Prefix+k).Val()
		ttl := r.Client.PTTL(ctx, r.Prefix+k).Val()
		var why []string
		ok := false
		for _, row := range rows {
			if !row.re.MatchString(k) {
				continue
			}
			switch {
			case row.typ != typ:
				why = append(why, row.pattern+" is a "+row.typ)
			case (row.ttl == "none") != (ttl == -1):
				why = append(why, row.pattern+" has TTL "+row.ttl)
			default:
				ok, seen[row.pattern] = true, true
			}
		}
		if !ok {
			t.Errorf("key P %s (%s, TTL %v) is not in the table of internal/redisstore/keys.go %v", k, typ, ttl, why)
		}
	}
	var unseen []string
	for _, row := range rows {
		if !seen[row.pattern] {
			unseen = append(unseen, row.pattern)
		}
	}
	t.Logf("rows this day did not write: %v", unseen)
	var outside []string
	iter := r.Client.Scan(ctx, 0, "*"+r.Prefix+"*", 10000).Iterator()
	for iter.Next(ctx) {
		if k := iter.Val(); !strings.HasPrefix(k, r.Prefix) && !strings.HasPrefix(k, "asynq:{"+r.Prefix) {
			outside = append(outside, k)
		}
	}
	sort.Strings(outside)
	if len(outside) > 0 {
		t.Errorf("keys of the installation outside its prefix %s: %v", r.Prefix, outside)
	}
}

// keyTableDay runs the service through what writes keys: first with
// Twilio (a fake) and a send rate, then with the local outbox.
func keyTableDay(t *testing.T, r *testredis.Redis) {
	ctx := context.Background()
	fake := twiliotest.New(t, twiliotest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, r, "../../flows", "../../locales")
	cfg.PublicURL, cfg.SMS.LoopLimit, cfg.SMS.Rate = "http://"+ln.Addr().String(), 2, 50
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From, cfg.Twilio.APIURL =
		fake.AccountSID(), fake.AuthToken(), "+15005550006", fake.URL()
	base := &testEnv{t: t, redis: r, cfg: cfg, clock: &clock{t: testNow}, logs: &syncBuffer{}}
	a, err := New(ctx, cfg, slog.New(slog.NewJSONHandler(base.logs, nil)), base.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	base.app = a
	base.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	base.srv.Start()
	t.Cleanup(func() { base.srv.Close(); a.Close() })
	e := &smsEnv{testEnv: base, fake: fake}
	stop := workPipeline(e.testEnv)

	e.setPIN(demo.Spanish, "1234")
	e.setPIN(demo.Quechua, "4321")
	e.dial("pin-wrong", demo.Quechua, "1", "0000") // one wrong PIN, counted
	for i := range 3 {
		e.dial("pin-lock-"+string(rune('a'+i)), demo.Spanish, "1", "9999")
	}
	e.dial("callback", demo.Quechua, "4")
	e.dial("by-sms", demo.Spanish, "3", "1")
	for range 3 {
		e.text(demo.Shipibo, "hola") // over the loop limit: muted
	}
	e.text(demo.Cusco, "BAJA")
	fake.FailNext(demo.Quechua, 1, 400, 21211, "not a mobile number")
	e.dial("bc", demo.CoachOne, "3", "4", "0112", "1", "1") // a broadcast to the coach's first group
	e.clock.t = e.clock.t.Add(3 * time.Minute)
	if _, err := a.Broadcasts.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reminders.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	if _, err := a.Reminders.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	visits := filepath.Join(t.TempDir(), "visits.csv")
	if err := os.WriteFile(visits, []byte("phone,group,kind,starts_at,place,topic\n900000001,,visit,2026-11-30 09:00,Su casa,Cuyes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, importer.Visits, visits, a.Store, importer.Options{Location: lima}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		n, _ := r.Client.Exists(ctx, a.Store.Keys().Invalid(demo.Quechua)).Result()
		return n == 1
	})
	waitFor(t, func() bool { return fake.Count() >= 3 })
	if err := a.Broadcasts.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	e.dial("bc-later", demo.CoachOne, "3", "4", "0112", "2", "1") // waits in bc:due

	// The local outbox, on the same Redis.
	stop()
	cfg.Twilio, cfg.SMS.Rate = config.Twilio{}, 0
	e.cfg = cfg
	e.boot()
	defer workPipeline(e.testEnv)()
	e.dial("by-sms-outbox", demo.Spanish, "3", "1")
	waitFor(t, func() bool {
		n, _ := r.Client.LLen(ctx, e.app.Store.Keys().Outbox()).Result()
		return n > 0
	})
}

// workPipeline works the SMS queue until the returned stop is called.
func workPipeline(e *testEnv) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.SMS.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
