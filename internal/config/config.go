// Package config owns the environment variables Willay reads. Every one is
// documented in the README; nothing else configures the service.
package config

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration.
type Config struct {
	Port        string         // PORT
	RedisURL    string         // REDIS_URL; empty: an in-process Redis (demo only)
	Prefix      string         // WILLAY_REDIS_PREFIX
	TZ          *time.Location // WILLAY_TZ
	Flows       string         // WILLAY_FLOWS
	Locales     string         // WILLAY_LOCALES
	Demo        bool           // WILLAY_DEMO
	SessionTTL  time.Duration  // WILLAY_SESSION_TTL
	PINKey      []byte         // WILLAY_PIN_KEY (hex, or any string of 32+ bytes)
	ScreenGSM7  int            // WILLAY_SCREEN_GSM7
	ScreenUCS2  int            // WILLAY_SCREEN_UCS2
	FoldAccents bool           // WILLAY_FOLD_ACCENTS
	HopTimeout  time.Duration  // WILLAY_HOP_TIMEOUT
	// BroadcastGrace is how long a coach's broadcast waits, cancellable,
	// before it leaves (WILLAY_BROADCAST_GRACE).
	BroadcastGrace time.Duration
	// BroadcastLimit is how many broadcasts a coach may make a day
	// (WILLAY_BROADCAST_LIMIT).
	BroadcastLimit int
	LogLevel       string // WILLAY_LOG_LEVEL

	PublicURL string // WILLAY_PUBLIC_URL: how Twilio reaches this service
	Twilio    Twilio
	SMS       SMS
	USSD      USSD
}

// USSD says who may post hops to the gateway endpoints. Africa's Talking
// does not sign its requests: the endpoint accepts a secret in the callback
// URL, the gateway's addresses, or both (then a hop needs both).
type USSD struct {
	Secret string         // WILLAY_USSD_SECRET: the callback URL ends in ?secret=…
	Allow  []netip.Prefix // WILLAY_USSD_ALLOW: the gateway's addresses, IPs or CIDRs, comma-separated
	// Open accepts hops with neither, when the operator protects the
	// endpoint another way (WILLAY_USSD_OPEN).
	Open bool
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (WILLAY_TRUSTED_PROXIES, IPs or CIDRs); none: the peer's
	// address is the client's.
	TrustedProxies []netip.Prefix
}

// Protected tells whether hops need a secret or an allowed address.
func (u USSD) Protected() bool { return u.Secret != "" || len(u.Allow) > 0 }

// Twilio selects Twilio as the SMS provider when the account is set.
type Twilio struct {
	AccountSID          string // TWILIO_ACCOUNT_SID
	AuthToken           string // TWILIO_AUTH_TOKEN
	From                string // TWILIO_FROM
	MessagingServiceSID string // TWILIO_MESSAGING_SERVICE_SID
	APIURL              string // TWILIO_API_URL
}

// Enabled tells whether messages go to Twilio (else to the local outbox).
func (t Twilio) Enabled() bool { return t.AccountSID != "" }

// SMS tunes the outgoing pipeline and the inbound guard.
type SMS struct {
	Rate        int  // WILLAY_SMS_RATE: messages per second for the account, 0 no limit
	Concurrency int  // WILLAY_SMS_CONCURRENCY: sends in flight per worker
	MaxRetry    int  // WILLAY_SMS_MAX_RETRY
	Worker      bool // WILLAY_WORKER: serve also sends (else run willay worker)
	Reminders   bool // WILLAY_REMINDERS: the scheduler sends reminders
	LoopLimit   int  // WILLAY_SMS_LOOP_LIMIT: inbound messages a minute before a number is ignored
	ReplyLimit  int  // WILLAY_SMS_REPLY_LIMIT: "send me this by SMS" a phone may get a day, 0 no limit
	// SpoolDir keeps incoming SMS that storage could not take, until it
	// can (WILLAY_SPOOL_DIR).
	SpoolDir string
}

// demoPINKey keys PINs only in demo mode, where data is made up.
const demoPINKey = "willay-demo-pin-key-not-for-production-use"

// ErrNoPublicURL refuses Twilio without WILLAY_PUBLIC_URL: the localhost
// default cannot be the address Twilio signs, so every webhook would get
// a 403, and status callbacks would point at a machine Twilio cannot reach.
const ErrNoPublicURL = "TWILIO_ACCOUNT_SID is set but WILLAY_PUBLIC_URL is not: set it to the address Twilio reaches this service at " +
	"(like https://willay.example.org). Twilio signs every webhook with that address; without it each incoming SMS " +
	"and status callback would be refused with 403"

// DemoPINKey tells whether PINs are keyed with the public demo key, which
// is only for made-up people.
func (c Config) DemoPINKey() bool { return bytes.Equal(c.PINKey, []byte(demoPINKey)) }

// FromEnv reads the configuration; getenv is os.Getenv outside tests.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Port: get("PORT", "8080"), RedisURL: getenv("REDIS_URL"), Prefix: get("WILLAY_REDIS_PREFIX", "willay:"),
		Flows: get("WILLAY_FLOWS", "flows"), Locales: get("WILLAY_LOCALES", "locales"), LogLevel: get("WILLAY_LOG_LEVEL", "info"),
	}
	var err error
	if c.TZ, err = time.LoadLocation(get("WILLAY_TZ", "America/Lima")); err != nil {
		return c, fmt.Errorf("WILLAY_TZ: %w", err)
	}
	if c.Demo, err = strconv.ParseBool(get("WILLAY_DEMO", strconv.FormatBool(c.RedisURL == ""))); err != nil {
		return c, fmt.Errorf("WILLAY_DEMO: %w", err)
	}
	if c.FoldAccents, err = strconv.ParseBool(get("WILLAY_FOLD_ACCENTS", "true")); err != nil {
		return c, fmt.Errorf("WILLAY_FOLD_ACCENTS: %w", err)
	}
	for _, d := range []struct {
		key string
		def string
		to  *time.Duration
	}{{"WILLAY_SESSION_TTL", "180s", &c.SessionTTL}, {"WILLAY_HOP_TIMEOUT", "1500ms", &c.HopTimeout}, {"WILLAY_BROADCAST_GRACE", "2m", &c.BroadcastGrace}} {
		if *d.to, err = time.ParseDuration(get(d.key, d.def)); err != nil || *d.to <= 0 {
			return c, fmt.Errorf("%s: want a duration like %s", d.key, d.def)
		}
	}
	for _, n := range []struct {
		key string
		def int
		to  *int
	}{{"WILLAY_SCREEN_GSM7", 182, &c.ScreenGSM7}, {"WILLAY_SCREEN_UCS2", 80, &c.ScreenUCS2}} {
		if *n.to, err = strconv.Atoi(get(n.key, strconv.Itoa(n.def))); err != nil || *n.to < 40 {
			return c, fmt.Errorf("%s: want a number of characters of at least 40", n.key)
		}
	}
	if c.PINKey, err = pinKey(getenv("WILLAY_PIN_KEY"), c.Demo); err != nil {
		return c, err
	}
	if c.USSD, err = readUSSD(get); err != nil {
		return c, err
	}
	return c, c.readSMS(get)
}

// minSecret is the shortest WILLAY_USSD_SECRET accepted: long enough not
// to be guessed over HTTP.
const minSecret = 16

// readUSSD reads who may post hops. The secret travels in a URL, so it is
// limited to characters a URL carries as they are.
func readUSSD(get func(k, def string) string) (USSD, error) {
	u := USSD{Secret: get("WILLAY_USSD_SECRET", "")}
	if len(u.Secret) > 0 && len(u.Secret) < minSecret {
		return u, fmt.Errorf("WILLAY_USSD_SECRET is too short: use at least %d random characters (`openssl rand -hex 16`)", minSecret)
	}
	if strings.Trim(u.Secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") != "" {
		return u, fmt.Errorf("WILLAY_USSD_SECRET: use only letters, digits and - . _ ~ (it goes into a URL as it is)")
	}
	var err error
	if u.Allow, err = prefixes("WILLAY_USSD_ALLOW", get("WILLAY_USSD_ALLOW", "")); err != nil {
		return u, err
	}
	if u.TrustedProxies, err = prefixes("WILLAY_TRUSTED_PROXIES", get("WILLAY_TRUSTED_PROXIES", "")); err != nil {
		return u, err
	}
	if u.Open, err = strconv.ParseBool(get("WILLAY_USSD_OPEN", "false")); err != nil {
		return u, fmt.Errorf("WILLAY_USSD_OPEN: %w", err)
	}
	return u, nil
}

// prefixes reads a comma-separated list of IPs and CIDRs.
func prefixes(key, v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is neither an IP address nor a CIDR like 203.0.113.0/24", key, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// CheckServe is what serving USSD needs beyond FromEnv: outside demo mode,
// an endpoint that anyone may post to is refused, unless the operator says
// it is protected another way.
func (c Config) CheckServe() error {
	if c.Demo || c.USSD.Protected() || c.USSD.Open {
		return nil
	}
	return fmt.Errorf("the USSD endpoint would accept hops from anyone: set WILLAY_USSD_SECRET (and end the gateway's callback URL with ?secret=…), " +
		"or WILLAY_USSD_ALLOW to the gateway's addresses, or WILLAY_USSD_OPEN=true if something else protects it")
}

// readSMS reads the SMS settings; Twilio needs all of its account or none.
func (c *Config) readSMS(get func(k, def string) string) error {
	public := get("WILLAY_PUBLIC_URL", "")
	c.PublicURL = strings.TrimRight(cmp.Or(public, "http://localhost:"+c.Port), "/")
	c.Twilio = Twilio{AccountSID: get("TWILIO_ACCOUNT_SID", ""), AuthToken: get("TWILIO_AUTH_TOKEN", ""),
		From: get("TWILIO_FROM", ""), MessagingServiceSID: get("TWILIO_MESSAGING_SERVICE_SID", ""),
		APIURL: get("TWILIO_API_URL", "https://api.twilio.com")}
	t := c.Twilio
	if t.Enabled() && (t.AuthToken == "" || (t.From == "" && t.MessagingServiceSID == "")) {
		return fmt.Errorf("TWILIO_ACCOUNT_SID is set: also set TWILIO_AUTH_TOKEN and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
	}
	if t.Enabled() && public == "" {
		return errors.New(ErrNoPublicURL)
	}
	for _, n := range []struct {
		key string
		def int
		min int
		to  *int
	}{
		{"WILLAY_SMS_RATE", 0, 0, &c.SMS.Rate}, {"WILLAY_SMS_CONCURRENCY", 10, 1, &c.SMS.Concurrency},
		{"WILLAY_SMS_MAX_RETRY", 8, 0, &c.SMS.MaxRetry}, {"WILLAY_SMS_LOOP_LIMIT", 10, 1, &c.SMS.LoopLimit},
		{"WILLAY_BROADCAST_LIMIT", 3, 1, &c.BroadcastLimit}, {"WILLAY_SMS_REPLY_LIMIT", 5, 0, &c.SMS.ReplyLimit},
	} {
		v, err := strconv.Atoi(get(n.key, strconv.Itoa(n.def)))
		if err != nil || v < n.min {
			return fmt.Errorf("%s: want a whole number of at least %d", n.key, n.min)
		}
		*n.to = v
	}
	c.SMS.SpoolDir = get("WILLAY_SPOOL_DIR", "spool")
	var err error
	if c.SMS.Worker, err = strconv.ParseBool(get("WILLAY_WORKER", "true")); err != nil {
		return fmt.Errorf("WILLAY_WORKER: %w", err)
	}
	if c.SMS.Reminders, err = strconv.ParseBool(get("WILLAY_REMINDERS", "true")); err != nil {
		return fmt.Errorf("WILLAY_REMINDERS: %w", err)
	}
	return nil
}

// pinKey accepts 64 hex digits or any secret of at least 32 bytes. Demo
// mode has a fixed key, so that `make run` needs no set-up.
func pinKey(v string, demo bool) ([]byte, error) {
	switch {
	case v == "" && demo:
		return []byte(demoPINKey), nil
	case v == "":
		return nil, fmt.Errorf("WILLAY_PIN_KEY is required outside demo mode: generate one with `openssl rand -hex 32`")
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) >= 32 {
		return b, nil
	}
	if len(v) < 32 {
		return nil, fmt.Errorf("WILLAY_PIN_KEY is too short: use at least 32 random bytes (`openssl rand -hex 32`)")
	}
	return []byte(v), nil
}
