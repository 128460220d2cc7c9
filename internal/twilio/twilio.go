// Package twilio owns talking to Twilio, or to any API that speaks
// Twilio's (a regional edge, another provider, a test server): sending SMS
// through twilio-go as an sms.Sender, classifying Twilio's refusals into
// sms verdicts, checking the signature of Twilio's webhooks and writing
// TwiML replies.
package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/willay-pe/willay/internal/sms"
)

// DefaultAPIURL is Twilio's REST API.
const DefaultAPIURL = "https://api.twilio.com"

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config says which account sends and where to.
type Config struct {
	AccountSID, AuthToken     string
	From, MessagingServiceSID string // one of them
	// APIURL is the base URL of a Twilio-compatible API. Empty: Twilio.
	APIURL string
	// StatusCallback is where Twilio posts status changes
	// (WILLAY_PUBLIC_URL + "/sms/twilio/status"). Empty: none.
	StatusCallback string
	// Timeout bounds each request; CreateMessage takes no context, so this
	// is the only limit a caller without a deadline gets.
	Timeout time.Duration
}

// Client sends SMS through Twilio. It is safe for concurrent use.
type Client struct {
	cfg   Config
	creds *client.Credentials
	rt    *rewriter
}

var _ sms.Sender = (*Client)(nil)

// twilio-go refuses credentials that are not alphanumeric, on every
// request and with a misleading 400; catching it at start-up is kinder.
var alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// New checks c and prepares a client; it makes no request.
func New(c Config) (*Client, error) {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if err := check(c); err != nil {
		return nil, err
	}
	rt, err := newRewriter(c.APIURL)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: c, creds: client.NewCredentials(c.AccountSID, c.AuthToken), rt: rt}, nil
}

func check(c Config) error {
	switch {
	case !alphanumeric.MatchString(c.AccountSID):
		return errors.New("twilio: AccountSID must be a non-empty alphanumeric SID")
	case !alphanumeric.MatchString(c.AuthToken):
		return errors.New("twilio: AuthToken must be a non-empty alphanumeric token")
	case c.From == "" && c.MessagingServiceSID == "":
		return errors.New("twilio: set From or MessagingServiceSID")
	case c.StatusCallback != "" && !isHTTPURL(c.StatusCallback):
		return fmt.Errorf("twilio: StatusCallback %q is not an absolute http(s) URL", c.StatusCallback)
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Send hands one SMS to Twilio and returns its message SID. Refusals are
// *sms.ProviderError; transport failures and timeouts come back wrapped
// as they are, which sms.VerdictOf retries.
func (c *Client) Send(ctx context.Context, to, text string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("twilio: not sent: %w", err)
	}
	// One deadline for the whole exchange, reading the answer included:
	// the bound transport puts this context on the request.
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	m, err := c.api(reqCtx).CreateMessage(c.params(to, text))
	if err != nil {
		return "", c.classify(err, ctx.Err() == nil && reqCtx.Err() != nil)
	}
	if m.Sid == nil || *m.Sid == "" {
		return "", errors.New("twilio: answer carried no message SID")
	}
	return *m.Sid, nil
}

// api builds a twilio-go API service bound to ctx. CreateMessage cannot
// take a context, so each send gets its own small client.Client whose
// transport carries it; building twilio.NewRestClientWithParams per send
// would also construct every other Twilio product's service for nothing.
// The handler is built directly rather than with NewRequestHandler so
// TWILIO_EDGE and TWILIO_REGION in the environment cannot fight APIURL.
func (c *Client) api(ctx context.Context) *openapi.ApiService {
	hc := &http.Client{
		Transport: bound{ctx: ctx, rt: c.rt},
		// As twilio-go's default: a redirect is an answer, not a hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	tc := &client.Client{Credentials: c.creds, HTTPClient: hc}
	tc.SetAccountSid(c.cfg.AccountSID)
	return openapi.NewApiService(&client.RequestHandler{Client: tc})
}

func (c *Client) params(to, text string) *openapi.CreateMessageParams {
	p := (&openapi.CreateMessageParams{}).SetTo(to).SetBody(text)
	if c.cfg.From != "" {
		p.SetFrom(c.cfg.From)
	}
	if c.cfg.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	}
	if c.cfg.StatusCallback != "" {
		p.SetStatusCallback(c.cfg.StatusCallback)
	}
	return p
}

// classify turns Twilio's refusal into the domain's error; anything else
// (refused connection, timeout, cancelled context) stays as it is, with
// our own timeout named since the bare error only says "deadline".
func (c *Client) classify(err error, timedOut bool) error {
	err = c.rt.named(err)
	var te *client.TwilioRestError
	switch {
	case !errors.As(err, &te) && timedOut:
		return fmt.Errorf("twilio: no answer within %s: %w", c.cfg.Timeout, err)
	case te == nil:
		return fmt.Errorf("twilio: %w", err)
	}
	return &sms.ProviderError{
		HTTPStatus: te.Status, Code: te.Code, Message: te.Message,
		Verdict: verdict(te.Status, te.Code),
	}
}

// verdict follows Twilio's error catalogue: 21610 is an unsubscribed
// recipient, 21211 and 21614 a number that cannot take SMS, 63018 a rate
// limit on the sender, as are HTTP 429 and Twilio's own 5xx.
func verdict(status, code int) sms.Verdict {
	switch {
	case code == 21610:
		return sms.OptOut
	case code == 21211 || code == 21614:
		return sms.Invalid
	case status == http.StatusTooManyRequests || status >= 500 || code == 63018:
		return sms.Retry
	}
	return sms.Fail
}
