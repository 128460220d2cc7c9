package main

import (
	"context"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/testredis"
)

func TestSMSSendAndLog(t *testing.T) {
	r := testredis.New(t)
	r.Queue(t)
	t.Setenv("REDIS_URL", r.URL)
	t.Setenv("WILLAY_REDIS_PREFIX", r.Prefix)
	t.Setenv("WILLAY_FLOWS", "../../flows")
	t.Setenv("WILLAY_LOCALES", "../../locales")
	var out, errOut strings.Builder
	code, err := run(context.Background(), []string{"sms", "send", "--to", "987 654 321", "--text", "Reunión de ahorro mañana – 15:00"}, nil, &out, &errOut)
	if code != 0 || err != nil || !strings.Contains(out.String(), "to +51987654321: 1 segment(s) in GSM-7") {
		t.Fatalf("send: %d %v %q", code, err, out.String())
	}
	out.Reset()
	code, err = run(context.Background(), []string{"sms", "log", "--phone", "+51987654321", "--status", "queued"}, nil, &out, &errOut)
	if code != 0 || err != nil {
		t.Fatalf("log: %d %v", code, err)
	}
	for _, want := range []string{"+51******321", "oneoff", "queued", "Reunion de ahorro mañana - 15:00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
	code, err = run(context.Background(), []string{"sms", "send", "--to", "12", "--text", "x"}, nil, &out, &errOut)
	if code == 0 || err == nil || !strings.Contains(err.Error(), "Peruvian mobile") {
		t.Errorf("a bad number: %d %v", code, err)
	}
}
