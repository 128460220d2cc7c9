package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestNoPhoneOrAddressLeaks: what the service logs and answers the public
// never holds a whole phone number (only phone.Mask's) nor Redis's
// address: through bad requests, a coach's broadcast made and cancelled,
// an import's report and Redis going away.
func TestNoPhoneOrAddressLeaks(t *testing.T) {
	r := testredis.New(t)
	cfg, proxy := configBehindProxy(t, r)
	e := startOn(t, r, cfg)
	ctx := context.Background()
	var public []string // bodies the public got

	near := "98765432" // a number one digit short: someone's, nearly
	code, body := e.post(url.Values{"sessionId": {"leak-1"}, "serviceCode": {"*500#"}, "phoneNumber": {near}, "text": {""}})
	if code != http.StatusBadRequest {
		t.Errorf("a bad phone: HTTP %d %q", code, body)
	}
	public = append(public, body)

	e.dial("leak-bc", demo.CoachOne, "3", "4", "0112", "1", "1")
	mine, err := e.app.Broadcasts.Mine(ctx, demo.CoachOne, 1)
	if err != nil || len(mine) != 1 {
		t.Fatalf("the coach's broadcast: %v %v", mine, err)
	}
	if err := e.app.Broadcasts.Cancel(ctx, mine[0].ID, demo.CoachOne); err != nil {
		t.Fatal(err)
	}

	rep, _ := importer.ImportReader(ctx, importer.Savings, func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("phone,balance,as_of\n" + near + ",1.00,2026-11-20\n+51987650077,1.00,2026-11-20\n")), nil
	}, e.app.Store, importer.Options{Location: lima})
	if len(rep.Errors) != 2 {
		t.Fatalf("the import's report: %v", rep.Errors)
	}
	for _, re := range rep.Errors {
		public = append(public, re.Error())
	}

	proxy.Cut()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || string(b) != "storage unavailable" {
		t.Errorf("/healthz with Redis down: %d %q, want 503 %q", resp.StatusCode, b, "storage unavailable")
	}
	public = append(public, string(b))
	e.postWithin(2*time.Second, url.Values{"sessionId": {"leak-2"}, "serviceCode": {"*500#"}, "phoneNumber": {demo.Spanish}, "text": {""}})
	proxy.Restore()

	logs := e.logs.String()
	if !strings.Contains(logs, "healthz: storage does not answer") || !strings.Contains(logs, "broadcast cancelled") {
		t.Errorf("the log lacks what this test makes it write:\n%s", logs)
	}
	secret := []string{near, "987650077", proxy.Addr}
	for _, p := range demo.People {
		secret = append(secret, p.Phone, p.Phone[3:]) // E.164 and as typed in Peru
	}
	for _, s := range secret {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows %q:\n%s", s, logs)
		}
		for _, body := range public {
			if strings.Contains(body, s) {
				t.Errorf("the public got %q in %q", s, body)
			}
		}
	}
}
