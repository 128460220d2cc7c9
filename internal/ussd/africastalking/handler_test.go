package africastalking_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/ussd"
	"github.com/willay-pe/willay/internal/ussd/africastalking"
)

var _ ussd.Gateway = africastalking.Gateway{}

const formType = "application/x-www-form-urlencoded"

// post is a raw Africa's Talking request with body as sent on the wire.
func post(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/ussd/africastalking", strings.NewReader(body))
	r.Header.Set("Content-Type", formType)
	return r
}

// form is a well-formed request, changed by edits: a value of "\x00" drops
// the field.
func form(edits ...string) *http.Request {
	v := url.Values{"sessionId": {"ATUid_1a2b"}, "serviceCode": {"*500#"}, "phoneNumber": {"+51900000001"},
		"networkCode": {"71610"}, "text": {""}}
	for i := 0; i+1 < len(edits); i += 2 {
		if edits[i+1] == "\x00" {
			v.Del(edits[i])
		} else {
			v.Set(edits[i], edits[i+1])
		}
	}
	return post(v.Encode())
}

// hop is the Hop a request with form's defaults parses to.
func hop(inputs ...string) engine.Hop {
	return engine.Hop{Gateway: "africastalking", SessionID: "ATUid_1a2b", Phone: "+51900000001",
		ServiceCode: "*500#", Network: "71610", Inputs: inputs}
}

// repeatInputs joins n inputs of one character with a literal "*".
func repeatInputs(n int) string {
	return strings.TrimSuffix(strings.Repeat("1*", n), "*")
}

// exactBody is a valid request whose body is exactly size bytes, the text
// padded with inputs of at most 182 characters.
func exactBody(size int) string {
	head := "sessionId=s&serviceCode=*500%23&phoneNumber=900000001&text="
	var b strings.Builder
	b.WriteString(head)
	for left := size - b.Len(); left > 0; left = size - b.Len() {
		if b.Len() > len(head) {
			b.WriteByte('*')
			left--
		}
		b.WriteString(strings.Repeat("7", min(left, ussd.MaxInput)))
	}
	return b.String()
}

func TestParse(t *testing.T) {
	for _, n := range []int{ussd.MaxBody, ussd.MaxBody + 1} {
		if got := len(exactBody(n)); got != n {
			t.Fatalf("exactBody(%d) is %d bytes", n, got)
		}
	}
	get := httptest.NewRequest(http.MethodGet, "/ussd/africastalking?sessionId=s1&serviceCode=%2A500%23&phoneNumber=900000001&text=1", nil)
	noType := post("sessionId=s1&serviceCode=*500%23&phoneNumber=900000001")
	noType.Header.Del("Content-Type")
	for _, c := range []struct {
		name string
		req  *http.Request
		want engine.Hop
		bad  *ussd.BadRequest
	}{
		// What must be accepted.
		{name: "first hop", req: form(), want: hop()},
		{name: "no text field is the first hop", req: form("text", "\x00"), want: hop()},
		{name: "one input", req: form("text", "1"), want: hop("1")},
		{name: "path split on *", req: form("text", "1*2*1234"), want: hop("1", "2", "1234")},
		{name: "literal * in the body", req: post("sessionId=ATUid_1a2b&serviceCode=*500%23&phoneNumber=%2B51900000001&networkCode=71610&text=1*98*0"),
			want: hop("1", "98", "0")},
		{name: "empty input kept", req: form("text", "1*"), want: hop("1", "")},
		{name: "lone *", req: form("text", "*"), want: hop("", "")},
		{name: "98 and 00 are plain inputs", req: form("text", "2*98*00"), want: hop("2", "98", "00")},
		{name: "national phone", req: form("phoneNumber", "900000001"), want: hop()},
		{name: "phone with 51", req: form("phoneNumber", "51900000001"), want: hop()},
		{name: "phone with 0051", req: form("phoneNumber", "0051900000001"), want: hop()},
		{name: "phone with spaces", req: form("phoneNumber", " +51 900 000 001 "), want: hop()},
		{name: "foreign phone", req: form("phoneNumber", "+14155550123"),
			want: func() engine.Hop { h := hop(); h.Phone = "+14155550123"; return h }()},
		{name: "no networkCode", req: form("networkCode", "\x00"),
			want: func() engine.Hop { h := hop(); h.Network = ""; return h }()},
		{name: "session id of 128", req: form("sessionId", strings.Repeat("a", 128)),
			want: func() engine.Hop { h := hop(); h.SessionID = strings.Repeat("a", 128); return h }()},
		{name: "session id punctuation", req: form("sessionId", "AT-Uid_1.2:3"),
			want: func() engine.Hop { h := hop(); h.SessionID = "AT-Uid_1.2:3"; return h }()},
		{name: "64 inputs", req: form("text", repeatInputs(64)), want: hop(strings.Split(repeatInputs(64), "*")...)},
		{name: "input of 182", req: form("text", strings.Repeat("9", 182)), want: hop(strings.Repeat("9", 182))},
		{name: "input of 182 runes in 364 bytes", req: form("text", strings.Repeat("ñ", 182)), want: hop(strings.Repeat("ñ", 182))},
		{name: "body of exactly 8 KiB", req: post(exactBody(ussd.MaxBody)),
			want: func() engine.Hop {
				h := engine.Hop{Gateway: "africastalking", SessionID: "s", ServiceCode: "*500#", Phone: "+51900000001"}
				_, text, _ := strings.Cut(exactBody(ussd.MaxBody), "&text=")
				h.Inputs = strings.Split(text, "*")
				return h
			}()},

		// What must be refused, with the exact field and reason.
		{name: "missing sessionId", req: form("sessionId", "\x00"), bad: &ussd.BadRequest{Field: "sessionId", Reason: "missing"}},
		{name: "empty sessionId", req: form("sessionId", ""), bad: &ussd.BadRequest{Field: "sessionId", Reason: "missing"}},
		{name: "sessionId with spaces", req: form("sessionId", "a b"),
			bad: &ussd.BadRequest{Field: "sessionId", Reason: "only letters, digits and - _ . : are allowed"}},
		{name: "sessionId with a Redis pattern", req: form("sessionId", "s*"),
			bad: &ussd.BadRequest{Field: "sessionId", Reason: "only letters, digits and - _ . : are allowed"}},
		{name: "sessionId not ASCII", req: form("sessionId", "sesión"),
			bad: &ussd.BadRequest{Field: "sessionId", Reason: "only letters, digits and - _ . : are allowed"}},
		{name: "sessionId of 129", req: form("sessionId", strings.Repeat("a", 129)),
			bad: &ussd.BadRequest{Field: "sessionId", Reason: "longer than 128 characters"}},
		{name: "missing serviceCode", req: form("serviceCode", "\x00"), bad: &ussd.BadRequest{Field: "serviceCode", Reason: "missing"}},
		{name: "missing phoneNumber", req: form("phoneNumber", "\x00"),
			bad: &ussd.BadRequest{Field: "phoneNumber", Reason: `phone "": the number is empty`}},
		// A bad number is shown masked in the reason, which is logged.
		{name: "phone with letters", req: form("phoneNumber", "+51abc"),
			bad: &ussd.BadRequest{Field: "phoneNumber", Reason: `phone "****bc": 'a' is not allowed; use only digits, spaces, + and - . ( )`}},
		{name: "Peruvian landline", req: form("phoneNumber", "014567890"),
			bad: &ussd.BadRequest{Field: "phoneNumber", Reason: `phone "*******90": a Peruvian mobile number has 9 digits starting with 9`}},
		{name: "short foreign phone", req: form("phoneNumber", "+1234"),
			bad: &ussd.BadRequest{Field: "phoneNumber", Reason: `phone "***34": a number from another country has 8 to 15 digits including the country code`}},
		{name: "65 inputs", req: form("text", repeatInputs(65)), bad: &ussd.BadRequest{Field: "text", Reason: "more than 64 inputs"}},
		{name: "input of 183", req: form("text", "1*"+strings.Repeat("9", 183)),
			bad: &ussd.BadRequest{Field: "text", Reason: "an input longer than 182 characters"}},
		{name: "invalid UTF-8", req: form("text", "1*\xff\xfe"), bad: &ussd.BadRequest{Field: "text", Reason: "not UTF-8"}},
		{name: "body over 8 KiB", req: form("text", strings.Repeat("1", 9000)), bad: &ussd.BadRequest{Field: "body", Reason: "larger than 8 KiB"}},
		{name: "body one byte over 8 KiB", req: post(exactBody(ussd.MaxBody + 1)), bad: &ussd.BadRequest{Field: "body", Reason: "larger than 8 KiB"}},
		{name: "bad escape", req: post("sessionId=%zz"), bad: &ussd.BadRequest{Field: "body", Reason: `not a form: invalid URL escape "%zz"`}},
		{name: "semicolon separator", req: post("sessionId=s1;serviceCode=x"),
			bad: &ussd.BadRequest{Field: "body", Reason: "not a form: invalid semicolon separator in query"}},
		{name: "GET with a query string only", req: get, bad: &ussd.BadRequest{Field: "sessionId", Reason: "missing"}},
		{name: "POST without Content-Type", req: noType, bad: &ussd.BadRequest{Field: "sessionId", Reason: "missing"}},
		{name: "JSON body", req: func() *http.Request {
			r := post(`{"sessionId":"s1"}`)
			r.Header.Set("Content-Type", "application/json")
			return r
		}(), bad: &ussd.BadRequest{Field: "sessionId", Reason: "missing"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := africastalking.Gateway{}.Parse(c.req)
			if c.bad != nil {
				var bad *ussd.BadRequest
				if !errors.As(err, &bad) {
					t.Fatalf("got %+v, %v; want %#v", got, err, c.bad)
				}
				if *bad != *c.bad {
					t.Errorf("got %#v, want %#v", bad, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		reply engine.Reply
		body  string
	}{
		{engine.Reply{Text: "Hola Rosa. Willay:\n1 Mis ahorros"}, "CON Hola Rosa. Willay:\n1 Mis ahorros"},
		{engine.Reply{Text: "Willay: su numero no esta registrado.", End: true}, "END Willay: su numero no esta registrado."},
		{engine.Reply{Text: "Español ñ"}, "CON Español ñ"},
	} {
		w := httptest.NewRecorder()
		africastalking.Gateway{}.Write(w, c.reply)
		res := w.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || string(body) != c.body {
			t.Errorf("Write(%+v) = %d %q, want 200 %q", c.reply, res.StatusCode, body, c.body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q, want text/plain", ct)
		}
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	africastalking.Gateway{}.WriteError(w, &ussd.BadRequest{Field: "phoneNumber", Reason: "missing"})
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	if !strings.HasPrefix(string(body), "END ") || !strings.Contains(string(body), "phoneNumber") {
		t.Errorf("body %q, want END … naming the field", body)
	}
}

func TestName(t *testing.T) {
	if got := (africastalking.Gateway{}).Name(); got != "africastalking" {
		t.Errorf("Name() = %q", got)
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

var sessionIDChars = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

func FuzzParse(f *testing.F) {
	f.Add("ATUid_1", "*500#", "+51900000001", "71610", "1*2*1234", []byte(nil), false)
	f.Add("s", "*500#", "900000001", "", "", []byte(nil), false)
	f.Add("s", "x", "0051900000001", "", "*", []byte(nil), false)
	f.Add("", "", "", "", "", []byte("sessionId=s&serviceCode=*500%23&phoneNumber=900000001&text=1*98"), true)
	f.Add("", "", "", "", "", []byte("sessionId=%zz;"), true)
	f.Add("a b", "*500#", "+1234", "", "\xff", []byte(nil), false)
	f.Fuzz(func(t *testing.T, sessionID, serviceCode, phoneNumber, network, text string, raw []byte, useRaw bool) {
		body := string(raw)
		if !useRaw {
			body = url.Values{"sessionId": {sessionID}, "serviceCode": {serviceCode}, "phoneNumber": {phoneNumber},
				"networkCode": {network}, "text": {text}}.Encode()
		}
		h, err := africastalking.Gateway{}.Parse(post(body))
		if err != nil {
			var bad *ussd.BadRequest
			if !errors.As(err, &bad) {
				t.Fatalf("error %v (%T) is not a *ussd.BadRequest", err, err)
			}
			if bad.Field == "" || bad.Reason == "" {
				t.Fatalf("BadRequest without field or reason: %#v", bad)
			}
			return
		}
		if h.Gateway != "africastalking" {
			t.Errorf("gateway %q", h.Gateway)
		}
		if h.SessionID == "" || len(h.SessionID) > ussd.MaxSessionID || !sessionIDChars.MatchString(h.SessionID) {
			t.Errorf("accepted session id %q", h.SessionID)
		}
		if h.ServiceCode == "" {
			t.Error("accepted an empty service code")
		}
		if !e164.MatchString(h.Phone) {
			t.Errorf("accepted phone %q is not E.164", h.Phone)
		}
		if len(h.Inputs) > ussd.MaxInputs {
			t.Errorf("accepted %d inputs", len(h.Inputs))
		}
		for _, in := range h.Inputs {
			if !utf8.ValidString(in) || utf8.RuneCountInString(in) > ussd.MaxInput || strings.Contains(in, "*") {
				t.Errorf("accepted input %q", in)
			}
		}
		if !useRaw {
			if h.SessionID != sessionID || h.ServiceCode != serviceCode || h.Network != network {
				t.Errorf("fields changed: %+v", h)
			}
			if got := strings.Join(h.Inputs, "*"); got != text {
				t.Errorf("inputs %q do not join back to text %q", h.Inputs, text)
			}
		}
	})
}
