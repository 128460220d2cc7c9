// Package dial is a terminal phone: it dials a Willay USSD endpoint as
// Africa's Talking would and shows each screen as a basic phone would, with
// its length and encoding, so staff can try menus without a handset.
package dial

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/gsm"
)

// Phone is one handset.
type Phone struct {
	URL         string // the endpoint, e.g. http://localhost:8080/ussd/africastalking
	Number      string
	ServiceCode string
	Client      *http.Client

	session string
	inputs  []string
}

// Screen is what the phone shows after a hop.
type Screen struct {
	Text string
	End  bool
}

// Hop sends one input ("" on the first hop) and returns the screen.
func (p *Phone) Hop(ctx context.Context, input string, first bool) (Screen, error) {
	if p.session == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		p.session = "dial-" + hex.EncodeToString(b)
	}
	if !first {
		p.inputs = append(p.inputs, input)
	}
	form := url.Values{"sessionId": {p.session}, "serviceCode": {p.ServiceCode}, "phoneNumber": {p.Number},
		"networkCode": {"71610"}, "text": {strings.Join(p.inputs, "*")}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return Screen{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Screen{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Screen{}, err
	}
	s := string(body)
	switch {
	case resp.StatusCode != http.StatusOK:
	case strings.HasPrefix(s, "CON "):
		return Screen{Text: s[4:]}, nil
	case strings.HasPrefix(s, "END "):
		return Screen{Text: s[4:], End: true}, nil
	}
	return Screen{}, fmt.Errorf("a gateway would drop this session: HTTP %d, body %q", resp.StatusCode, s)
}

// Run dials, shows each screen on out and reads answers from in until the
// session ends, in closes, or the person types "q".
func (p *Phone) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	scr, err := p.Hop(ctx, "", true)
	for {
		if err != nil {
			return err
		}
		Show(out, scr)
		if scr.End {
			return nil
		}
		fmt.Fprint(out, "> ")
		if !lines.Scan() {
			fmt.Fprintln(out)
			return lines.Err()
		}
		answer := strings.TrimSpace(lines.Text())
		if answer == "q" {
			return nil
		}
		scr, err = p.Hop(ctx, answer, false)
	}
}

// Show draws a screen in a box with its length and encoding.
func Show(out io.Writer, s Screen) {
	enc, n := gsm.Measure(s.Text)
	width := 32
	fmt.Fprintln(out, "+"+strings.Repeat("-", width)+"+")
	for _, line := range strings.Split(s.Text, "\n") {
		for _, part := range wrap(line, width-2) {
			fmt.Fprintf(out, "| %-*s |\n", width-2, part)
		}
	}
	state := "CON"
	if s.End {
		state = "END"
	}
	fmt.Fprintln(out, "+"+strings.Repeat("-", width)+"+")
	fmt.Fprintf(out, "  %s  %d/%d %s\n", state, n, gsm.DefaultLimits().Max(enc), enc)
}

// wrap breaks a line for the box the way a phone display would.
func wrap(line string, width int) []string {
	var out []string
	r := []rune(line)
	for len(r) > width {
		cut := width
		for i := width; i > width/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
	}
	return append(out, string(r))
}
