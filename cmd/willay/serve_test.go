package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/testredis"
)

// lockedBuffer lets the test read what serve prints while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServePrintsWhereToDialAndShutsDownGracefully(t *testing.T) {
	r := testredis.New(t)
	t.Setenv("REDIS_URL", r.URL)
	t.Setenv("WILLAY_REDIS_PREFIX", r.Prefix)
	t.Setenv("WILLAY_DEMO", "true")
	t.Setenv("WILLAY_PIN_KEY", strings.Repeat("ab", 32)) // demo data in a real Redis: never the public demo key
	t.Setenv("WILLAY_FLOWS", "../../flows")
	t.Setenv("WILLAY_LOCALES", "../../locales")
	t.Setenv("PORT", "0")
	t.Setenv("WILLAY_SPOOL_DIR", t.TempDir())
	t.Setenv("WILLAY_LOG_LEVEL", "error")
	ctx, stop := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		code, _ := run(ctx, []string{"serve"}, nil, out, io.Discard)
		done <- code
	}()
	port := regexp.MustCompile(`listening on http://localhost:(\d+)`)
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		if m := port.FindStringSubmatch(out.String()); m != nil {
			base = "http://localhost:" + m[1]
		}
		time.Sleep(25 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("serve never said where it listens:\n%s", out.String())
	}
	for _, want := range []string{"/ussd/africastalking", "dial --url", "+51900000003"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the banner lacks %q:\n%s", want, out.String())
		}
	}
	resp, err := http.PostForm(base+"/ussd/africastalking", url.Values{"sessionId": {"serve-1"}, "serviceCode": {"*500#"},
		"phoneNumber": {"+51900000001"}, "text": {""}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "CON Hola Rosa") {
		t.Errorf("first hop: %q", body)
	}
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM-like cancel, want 0", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
