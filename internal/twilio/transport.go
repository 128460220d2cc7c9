package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// rewriter sends twilio-go's requests, which always name api.twilio.com,
// to the configured API instead, keeping the path.
type rewriter struct {
	scheme, host, prefix string
	base                 http.RoundTripper
}

func newRewriter(apiURL string) (*rewriter, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("twilio: APIURL %q is not an absolute http(s) URL", apiURL)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps 2 idle connections per host, so concurrent senders
	// would open and close a TLS connection for most messages.
	t.MaxIdleConnsPerHost = 64
	return &rewriter{scheme: u.Scheme, host: u.Host, prefix: strings.TrimRight(u.Path, "/"), base: t}, nil
}

// named puts the configured API in a transport error. http.Client names
// the request it was given, which twilio-go always addresses to
// api.twilio.com: an error of a send to TWILIO_API_URL would send whoever
// reads the log to the wrong host.
func (rt *rewriter) named(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return err
	}
	u.Scheme, u.Host, u.Path, u.RawPath = rt.scheme, rt.host, rt.prefix+u.Path, ""
	return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
}

// bound is the transport of one Send: it puts the send's context on the
// request, since twilio-go builds every request with context.Background.
type bound struct {
	ctx context.Context
	rt  *rewriter
}

func (b bound) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(b.ctx) // a RoundTripper must not change the caller's request
	r.URL.Scheme, r.URL.Host, r.Host = b.rt.scheme, b.rt.host, ""
	r.URL.Path, r.URL.RawPath = b.rt.prefix+r.URL.Path, ""
	res, err := b.rt.base.RoundTrip(r)
	if err != nil || res.StatusCode < 400 {
		return res, err
	}
	return asTwilioError(res), nil
}

// asTwilioError rewrites any error answer into Twilio's JSON error with
// the real HTTP status. twilio-go only yields a *client.TwilioRestError
// when the body is Twilio's JSON; a proxy's HTML 502 would otherwise become
// an opaque decoding error without its status. twilio-go also never closes
// an error body, so reading it here is what frees the connection.
func asTwilioError(res *http.Response) *http.Response {
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	res.Body.Close()
	var te client.TwilioRestError
	if json.Unmarshal(raw, &te) != nil || te.Message == "" {
		te.Message = summary(raw, res.StatusCode)
	}
	te.Status = res.StatusCode
	body, _ := json.Marshal(&te)
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Type", "application/json")
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return res
}

// summary keeps the start of a non-Twilio error body as the message.
func summary(raw []byte, status int) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(raw[:min(len(raw), 200)]), ""))
	if s == "" {
		return http.StatusText(status)
	}
	return s
}
