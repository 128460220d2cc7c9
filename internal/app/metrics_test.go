package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/testredis"
)

// TestMetricsWhileRedisFails: with Redis hanging or refusing, /metrics
// still answers, with every metric that does not need Redis, and says the
// backlog could not be read.
func TestMetricsWhileRedisFails(t *testing.T) {
	r := testredis.New(t)
	cfg, proxy := configBehindProxy(t, r)
	e := startOn(t, r, cfg)
	for _, c := range []struct {
		name string
		do   func()
		want []string
	}{
		{"up", proxy.Restore, []string{"willay_redis_errors_total 0", "willay_backlog_up 1", `willay_backlog{what="reminders_due"}`}},
		{"hanging", proxy.Stall, []string{"willay_redis_errors_total", "willay_backlog_up 0", "go_goroutines"}},
		{"refused", proxy.Cut, []string{"willay_redis_errors_total", "willay_backlog_up 0", "go_goroutines"}},
		{"back", proxy.Restore, []string{"willay_backlog_up 1", `willay_backlog{what="reminders_due"}`}},
	} {
		c.do()
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(e.srv.URL + "/metrics")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("redis %s: /metrics %d, want 200: %s", c.name, resp.StatusCode, b)
		}
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("redis %s: /metrics lacks %s", c.name, w)
			}
		}
	}
}
