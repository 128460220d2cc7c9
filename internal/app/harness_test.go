package app

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/testredis"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the service answers now")

// lima is the participants' timezone; now is the fixed test clock.
var lima = mustLoc("America/Lima")

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, lima)

// testPINKey keys the demo people's PINs: demo data in a real Redis is
// never keyed with the public demo key.
var testPINKey = strings.Repeat("ab", 32)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// clock is a test clock the test can move.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// testEnv is a running Willay on a real Redis, under the test's own prefix.
type testEnv struct {
	t     *testing.T
	redis *testredis.Redis
	cfg   config.Config
	app   *App
	srv   *httptest.Server
	clock *clock
	logs  *syncBuffer
}

// syncBuffer collects logs from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t *testing.T, r *testredis.Redis, flows, locales string) config.Config {
	t.Helper()
	spool := t.TempDir()
	cfg, err := config.FromEnv(func(k string) string {
		switch k {
		case "WILLAY_SPOOL_DIR":
			return spool
		case "REDIS_URL":
			return r.URL
		case "WILLAY_REDIS_PREFIX":
			return r.Prefix
		case "WILLAY_DEMO":
			return "true"
		case "WILLAY_PIN_KEY":
			return testPINKey
		case "WILLAY_FLOWS":
			return flows
		case "WILLAY_LOCALES":
			return locales
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start runs Willay with the shipped flows and demo data.
func start(t *testing.T) *testEnv {
	t.Helper()
	r := testredis.New(t)
	return startOn(t, r, testConfig(t, r, "../../flows", "../../locales"))
}

func startOn(t *testing.T, r *testredis.Redis, cfg config.Config) *testEnv {
	t.Helper()
	e := &testEnv{t: t, redis: r, cfg: cfg, clock: &clock{t: testNow}, logs: &syncBuffer{}}
	r.Queue(t) // the SMS queue's keys are asynq's, outside the prefix: delete them too
	e.boot()
	return e
}

// boot builds a fresh App over the same Redis, as a restarted process would.
func (e *testEnv) boot() {
	e.t.Helper()
	if e.srv != nil {
		e.srv.Close()
		e.app.Close()
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(context.Background(), e.cfg, log, e.clock.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	e.app, e.srv = a, httptest.NewServer(a.Handler)
	e.t.Cleanup(func() {
		e.srv.Close()
		e.app.Close()
	})
}

// post sends one raw Africa's Talking request.
func (e *testEnv) post(form url.Values) (int, string) {
	e.t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.PostForm(e.srv.URL+"/ussd/africastalking", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// hop sends one hop of a session with the whole path so far.
func (e *testEnv) hop(session, phone string, inputs ...string) string {
	e.t.Helper()
	code, body := e.post(url.Values{"sessionId": {session}, "serviceCode": {"*500#"}, "phoneNumber": {phone},
		"networkCode": {"71610"}, "text": {strings.Join(inputs, "*")}})
	if code != http.StatusOK {
		e.t.Fatalf("hop %q: HTTP %d %q", strings.Join(inputs, "*"), code, body)
	}
	return body
}

// dial runs a whole session, one hop per input, and returns each reply.
func (e *testEnv) dial(session, phone string, inputs ...string) []string {
	e.t.Helper()
	replies := []string{e.hop(session, phone)}
	for i := range inputs {
		replies = append(replies, e.hop(session, phone, inputs[:i+1]...))
	}
	return replies
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/app -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from what the service answers now; review with -update and git diff.\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// configBehindProxy is the shipped flows' test configuration with Redis
// behind a proxy the test can stall or cut.
func configBehindProxy(t *testing.T, r *testredis.Redis) (config.Config, *testredis.Proxy) {
	t.Helper()
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testredis.NewProxy(t, u.Host)
	cfg := testConfig(t, r, "../../flows", "../../locales")
	cfg.RedisURL = "redis://" + proxy.Addr + u.Path
	return cfg, proxy
}
