package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestDemoOnlyWhereNothingIsReal: WILLAY_DEMO=true over a real Redis
// seeds made-up people only under an empty prefix (or a demo's), and never
// with the public PIN key; otherwise the service refuses to start and says
// what to do.
func TestDemoOnlyWhereNothingIsReal(t *testing.T) {
	r := testredis.New(t)
	r.Queue(t)
	boot := func(pinKey string) error {
		cfg, err := config.FromEnv(func(k string) string {
			return map[string]string{"REDIS_URL": r.URL, "WILLAY_REDIS_PREFIX": r.Prefix, "WILLAY_DEMO": "true",
				"WILLAY_PIN_KEY": pinKey, "WILLAY_FLOWS": "../../flows", "WILLAY_LOCALES": "../../locales"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err == nil {
			a.Close()
		}
		return err
	}
	notEmpty := "WILLAY_DEMO=true would add made-up people to the Redis at REDIS_URL, which already holds data under \"" + r.Prefix + "\": " +
		"for a demo, set WILLAY_REDIS_PREFIX to an unused prefix; for real data, set WILLAY_DEMO=false"
	steps := []struct {
		name   string
		before func()
		pinKey string
		want   string // the refusal; "" starts
	}{
		{"no PIN key", nil, "", "WILLAY_DEMO=true with a REDIS_URL would key PINs with the public demo key: " +
			"set WILLAY_PIN_KEY (`openssl rand -hex 32`), or leave REDIS_URL empty for an in-process demo"},
		{"empty prefix", nil, testPINKey, ""},
		{"restarted demo", nil, testPINKey, ""},
		{"after an import of real people", func() {
			s := redisstoreOf(t, r)
			if err := s.ApplyParticipants(context.Background(), []importer.ParticipantRow{{Phone: "+51987650001", Name: "Real", Language: "es", Group: "G9"}}); err != nil {
				t.Fatal(err)
			}
		}, testPINKey, notEmpty},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		err := boot(s.pinKey)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != s.want {
			t.Errorf("%s: got %q, want %q", s.name, got, s.want)
		}
	}
	// A prefix an installation used is refused too: one that sent SMS, or
	// that served outside demo mode.
	for _, used := range []struct {
		name string
		use  func(r *testredis.Redis)
	}{
		{"sent SMS", func(r *testredis.Redis) {
			if err := r.Client.ZAdd(context.Background(), r.Prefix+"smslog", redis.Z{Score: 1, Member: "m1"}).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"served outside demo mode", func(r *testredis.Redis) {
			cfg := testConfig(t, r, "../../flows", "../../locales")
			cfg.Demo = false
			a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			a.Close()
		}},
	} {
		r = testredis.New(t)
		used.use(r)
		want := "WILLAY_DEMO=true would add made-up people to the Redis at REDIS_URL, which already holds data under \"" + r.Prefix + "\": " +
			"for a demo, set WILLAY_REDIS_PREFIX to an unused prefix; for real data, set WILLAY_DEMO=false"
		if err := boot(testPINKey); err == nil || err.Error() != want {
			t.Errorf("a prefix that %s: got %v, want %q", used.name, err, want)
		}
	}
}

func redisstoreOf(t *testing.T, r *testredis.Redis) *redisstore.Store {
	s := redisstore.New(r.Client, r.Prefix, redisstore.DefaultOptions(), nil)
	t.Cleanup(s.Close)
	return s
}
