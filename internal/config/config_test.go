package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != "8080" || c.Prefix != "willay:" || !c.Demo || c.TZ.String() != "America/Lima" ||
		c.SessionTTL != 180*time.Second || c.ScreenGSM7 != 182 || c.ScreenUCS2 != 80 || !c.FoldAccents || len(c.PINKey) == 0 {
		t.Errorf("defaults: %+v", c)
	}
	c, err = FromEnv(env(map[string]string{"REDIS_URL": "rediss://u:p@h:6380/2", "WILLAY_PIN_KEY": strings.Repeat("ab", 32),
		"WILLAY_SESSION_TTL": "90s", "WILLAY_SCREEN_GSM7": "160", "WILLAY_FOLD_ACCENTS": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Demo || len(c.PINKey) != 32 || c.SessionTTL != 90*time.Second || c.ScreenGSM7 != 160 || c.FoldAccents {
		t.Errorf("set values: %+v", c)
	}
}

func TestFromEnvRefuses(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"REDIS_URL": "redis://x"}, "WILLAY_PIN_KEY is required outside demo mode"},
		{map[string]string{"REDIS_URL": "redis://x", "WILLAY_PIN_KEY": "short"}, "WILLAY_PIN_KEY is too short"},
		{map[string]string{"WILLAY_TZ": "Mars/Olympus"}, "WILLAY_TZ"},
		{map[string]string{"WILLAY_SESSION_TTL": "-3s"}, "WILLAY_SESSION_TTL: want a duration"},
		{map[string]string{"WILLAY_SCREEN_UCS2": "7"}, "WILLAY_SCREEN_UCS2: want a number"},
		{map[string]string{"WILLAY_DEMO": "maybe"}, "WILLAY_DEMO"},
	} {
		_, err := FromEnv(env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.env, err, c.want)
		}
	}
}

func TestTwilioSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM": "+15005550006",
		"WILLAY_PUBLIC_URL": "https://willay.example.org/", "WILLAY_SMS_RATE": "30"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Twilio.Enabled() || c.Twilio.APIURL != "https://api.twilio.com" || c.PublicURL != "https://willay.example.org" || c.SMS.Rate != 30 ||
		c.SMS.Concurrency != 10 || c.SMS.MaxRetry != 8 || !c.SMS.Worker || c.SMS.LoopLimit != 10 {
		t.Errorf("%+v %+v %q", c.Twilio, c.SMS, c.PublicURL)
	}
	if _, err := FromEnv(env(map[string]string{"TWILIO_ACCOUNT_SID": "AC1"})); err == nil || !strings.Contains(err.Error(), "TWILIO_AUTH_TOKEN") {
		t.Errorf("half a Twilio account must be refused: %v", err)
	}
	if c, _ := FromEnv(env(nil)); c.Twilio.Enabled() || c.PublicURL != "http://localhost:8080" || c.DemoPINKey() != true {
		t.Errorf("no Twilio by default: %+v", c)
	}
}

// TestUSSDProtection: outside demo mode, serving refuses an endpoint that
// anyone may post to; a bad secret or address list is refused as read.
func TestUSSDProtection(t *testing.T) {
	prod := func(m map[string]string) map[string]string {
		m["REDIS_URL"], m["WILLAY_PIN_KEY"] = "redis://x", strings.Repeat("ab", 32)
		return m
	}
	const refused = "the USSD endpoint would accept hops from anyone: set WILLAY_USSD_SECRET (and end the gateway's callback URL with ?secret=…), " +
		"or WILLAY_USSD_ALLOW to the gateway's addresses, or WILLAY_USSD_OPEN=true if something else protects it"
	for _, c := range []struct {
		name string
		env  map[string]string
		read string // FromEnv's error
		serv string // CheckServe's error
	}{
		{"demo needs nothing", map[string]string{}, "", ""},
		{"production with neither", prod(map[string]string{}), "", refused},
		{"production open", prod(map[string]string{"WILLAY_USSD_OPEN": "true"}), "", ""},
		{"production open=false", prod(map[string]string{"WILLAY_USSD_OPEN": "false"}), "", refused},
		{"production with a secret", prod(map[string]string{"WILLAY_USSD_SECRET": "0123456789abcdef"}), "", ""},
		{"production with addresses", prod(map[string]string{"WILLAY_USSD_ALLOW": "196.201.214.0/24, 2001:db8::1"}), "", ""},
		{"short secret", prod(map[string]string{"WILLAY_USSD_SECRET": "abc"}),
			"WILLAY_USSD_SECRET is too short: use at least 16 random characters (`openssl rand -hex 16`)", ""},
		{"secret with URL characters", prod(map[string]string{"WILLAY_USSD_SECRET": "0123456789abcdef&x=1"}),
			"WILLAY_USSD_SECRET: use only letters, digits and - . _ ~ (it goes into a URL as it is)", ""},
		{"bad address", prod(map[string]string{"WILLAY_USSD_ALLOW": "196.201.214.0/24,gateway.example"}),
			`WILLAY_USSD_ALLOW: "gateway.example" is neither an IP address nor a CIDR like 203.0.113.0/24`, ""},
		{"bad proxy", map[string]string{"WILLAY_TRUSTED_PROXIES": "10.0.0.0/33"},
			`WILLAY_TRUSTED_PROXIES: "10.0.0.0/33" is neither an IP address nor a CIDR like 203.0.113.0/24`, ""},
		{"bad open", prod(map[string]string{"WILLAY_USSD_OPEN": "yes please"}), `WILLAY_USSD_OPEN: strconv.ParseBool: parsing "yes please": invalid syntax`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := FromEnv(env(c.env))
			if got := errText(err); got != c.read {
				t.Fatalf("FromEnv: %q, want %q", got, c.read)
			}
			if err != nil {
				return
			}
			if got := errText(cfg.CheckServe()); got != c.serv {
				t.Errorf("CheckServe: %q, want %q", got, c.serv)
			}
		})
	}
	c, _ := FromEnv(env(prod(map[string]string{"WILLAY_USSD_ALLOW": "196.201.214.7", "WILLAY_TRUSTED_PROXIES": "10.0.0.0/8"})))
	if len(c.USSD.Allow) != 1 || c.USSD.Allow[0].String() != "196.201.214.7/32" || c.USSD.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("addresses: %v, proxies %v", c.USSD.Allow, c.USSD.TrustedProxies)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestTwilioNeedsPublicURL: without WILLAY_PUBLIC_URL the service would
// check Twilio's signatures against localhost and refuse every webhook.
func TestTwilioNeedsPublicURL(t *testing.T) {
	account := map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM": "+15005550006"}
	_, err := FromEnv(env(account))
	want := "TWILIO_ACCOUNT_SID is set but WILLAY_PUBLIC_URL is not: set it to the address Twilio reaches this service at " +
		"(like https://willay.example.org). Twilio signs every webhook with that address; without it each incoming SMS " +
		"and status callback would be refused with 403"
	if err == nil || err.Error() != want {
		t.Errorf("Twilio without WILLAY_PUBLIC_URL: got %v, want %q", err, want)
	}
	account["WILLAY_PUBLIC_URL"] = "https://willay.example.org"
	if _, err := FromEnv(env(account)); err != nil {
		t.Errorf("with WILLAY_PUBLIC_URL: %v", err)
	}
}
