package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/willay-pe/willay/internal/demo"
)

// sessionTexts are the hops of one session as the gateway sends them: the
// main menu, payment dates, then 00 back to the main menu. Every reply is a
// CON screen, so a session never ends early and each phone keeps the same
// rhythm on both sides.
var sessionTexts = []string{"", "3", "3*00"}

// participants are the demo people the virtual phones dial as, one per
// language, so every locale's screens are rendered.
var participants = []string{demo.Spanish, demo.Quechua, demo.Shipibo, demo.Cusco}

// Round is one measured stretch of one side.
type Round struct {
	Side       string // "floor" or "willay"
	Label      string // "warm-up", or the round's number
	Hops       int    // answered with CON
	Errors     int
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
}

// HopsPerSecond is the round's throughput.
func (r Round) HopsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Hops) / r.Elapsed.Seconds()
}

// driver runs the virtual phones: closed loops, each sending its next hop
// as soon as the previous reply arrived, as gateways do per session.
type driver struct {
	client *http.Client
	phones int
	seq    atomic.Int64 // session IDs never repeat within a run, across sides and rounds
}

// tally is what one phone saw in one round.
type tally struct {
	lat    []time.Duration
	errors int
	first  error
}

func (d *driver) round(ctx context.Context, side, label, target string, dur time.Duration) (Round, error) {
	deadline := time.Now().Add(dur)
	tallies := make([]tally, d.phones)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range tallies {
		wg.Go(func() { d.phone(ctx, target, participants[i%len(participants)], deadline, &tallies[i]) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Round{}, err
	}
	return summarize(side, label, tallies, time.Since(start)), nil
}

// phone dials whole sessions until the deadline. A failed hop abandons its
// session, since what follows would be measured on a broken state.
func (d *driver) phone(ctx context.Context, target, number string, deadline time.Time, t *tally) {
	for time.Now().Before(deadline) {
		id := fmt.Sprintf("L%d", d.seq.Add(1))
		for _, text := range sessionTexts {
			if !time.Now().Before(deadline) {
				return
			}
			lat, err := d.hop(ctx, target, id, number, text)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				t.errors++
				if t.first == nil {
					t.first = err
				}
				break
			}
			t.lat = append(t.lat, lat)
		}
	}
}

// hop sends one hop and checks that the reply is a CON screen.
func (d *driver) hop(ctx context.Context, target, id, number, text string) (time.Duration, error) {
	status, body, lat, err := d.post(ctx, target, id, number, text)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK || !strings.HasPrefix(body, "CON ") {
		return 0, fmt.Errorf("text %q: status %d, reply %.60q", text, status, body)
	}
	return lat, nil
}

// post sends one request as Africa's Talking does and times it from
// sending to the last byte read.
func (d *driver) post(ctx context.Context, target, id, number, text string) (int, string, time.Duration, error) {
	form := url.Values{"sessionId": {id}, "serviceCode": {"*500#"}, "phoneNumber": {number}, "networkCode": {"71606"}, "text": {text}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, string(body), time.Since(start), err
}

func summarize(side, label string, tallies []tally, elapsed time.Duration) Round {
	r := Round{Side: side, Label: label, Elapsed: elapsed}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.lat...)
		r.Errors += t.errors
		if t.first != nil && r.FirstError == "" {
			r.FirstError = t.first.Error()
		}
	}
	slices.Sort(all)
	r.Hops = len(all)
	r.P50, r.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return r
}

// percentile is the nearest-rank percentile of sorted durations: always a
// latency that was actually measured.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}
