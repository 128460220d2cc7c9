package dial_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/dial"
	"github.com/willay-pe/willay/internal/testclock"
	"github.com/willay-pe/willay/internal/testredis"
)

func server(t *testing.T) string {
	r := testredis.New(t)
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"REDIS_URL": r.URL, "WILLAY_REDIS_PREFIX": r.Prefix, "WILLAY_DEMO": "true",
			"WILLAY_PIN_KEY": strings.Repeat("ab", 32), "WILLAY_FLOWS": "../../flows", "WILLAY_LOCALES": "../../locales"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), testclock.New(t).Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv.URL
}

func TestRunShowsScreensAndSendsInputs(t *testing.T) {
	base := server(t)
	for _, c := range []struct {
		phone, typed string
		want         []string
	}{
		{demo.Spanish, "3\n00\nq\n", []string{"| Hola Rosa. Willay:", "CON  111/182 GSM-7", "| Proximos pagos:", "Juntos S/ 200.00"}},
		{demo.Shipibo, "5\n1\n", []string{"| 5 Joi (Idioma)", "| 1 Español", "| Listo. Desde ahora le hablamos"}},
		{demo.Stranger, "", []string{"su numero no esta", "END  136/182 GSM-7"}},
	} {
		var out strings.Builder
		p := &dial.Phone{URL: base + "/ussd/africastalking", Number: c.phone, ServiceCode: "*500#"}
		if err := p.Run(context.Background(), strings.NewReader(c.typed), &out); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", c.phone, w, out.String())
			}
		}
	}
}

func TestHopReportsWhatAGatewayWouldDrop(t *testing.T) {
	base := server(t)
	p := &dial.Phone{URL: base + "/ussd/africastalking", Number: "not a phone", ServiceCode: "*500#"}
	_, err := p.Hop(context.Background(), "", true)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("want the gateway-drop error, got %v", err)
	}
}
