// Package sms owns text messages as Willay sees them: what an outgoing
// message records from queueing to delivery, and how a provider's answer
// is classified. No provider, queue or storage lives here.
package sms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is where an outgoing message stands.
type Status string

const (
	Queued      Status = "queued"
	Sending     Status = "sending"
	Sent        Status = "sent"
	Delivered   Status = "delivered"
	Undelivered Status = "undelivered"
	Failed      Status = "failed"
)

// Final tells whether no later status is expected from us (a provider
// may still report delivery of a sent message).
func (s Status) Final() bool { return s == Delivered || s == Undelivered || s == Failed }

// Step is one entry of a message's history.
type Step struct {
	Status Status    `json:"s"`
	At     time.Time `json:"t"`
	Code   int       `json:"c,omitempty"` // the provider's error code
	Error  string    `json:"e,omitempty"`
}

// Message is one outgoing SMS and everything that happened to it.
type Message struct {
	ID       string `json:"id"` // idempotency key: the same ID is sent once
	To       string `json:"to"` // E.164
	Lang     string `json:"lang"`
	Text     string `json:"text"` // normalized for GSM-7 where it can be
	Encoding string `json:"enc"`
	Segments int    `json:"seg"`
	Kind     string `json:"kind"` // why it exists: reply, callback, oneoff, reminder, broadcast
	// Exempt messages reach opted-out people: the confirmation of their
	// opt-out and replies to their own requests.
	Exempt bool `json:"exempt,omitempty"`
	// Broadcast is the ID of the broadcast it belongs to, if any: its
	// outcome is counted there as its status changes.
	Broadcast string `json:"bc,omitempty"`
	SID       string `json:"sid,omitempty"`
	History   []Step `json:"h"`
	// State is the status as stored: it only moves forward, while History
	// keeps every report in the order it came (providers' callbacks arrive
	// out of order).
	State Status `json:"state,omitempty"`
	// Quota, when set, limits such messages to one phone a day; it is
	// counted when the message is stored, not kept with it.
	Quota Quota `json:"-"`
}

// Quota is at most PerDay messages of a kind to a phone on Day (the
// person's local YYYYMMDD). PerDay 0 is no limit.
type Quota struct {
	PerDay int
	Day    string
}

// ErrOverQuota is a message refused because its phone had its quota that day.
var ErrOverQuota = errors.New("sms: the phone's daily quota is used up")

// Status is where the message stands.
func (m *Message) Status() Status {
	if m.State != "" {
		return m.State
	}
	if len(m.History) == 0 {
		return ""
	}
	return m.History[len(m.History)-1].Status
}

// Sender hands one message to a provider and returns the provider's ID
// for it. Errors that tell what went wrong are *ProviderError.
type Sender interface {
	Send(ctx context.Context, to, text string) (sid string, err error)
}

// What a provider's error means for the message.
type Verdict int

const (
	Retry   Verdict = iota // throttled or temporary: try again later
	OptOut                 // the person unsubscribed at the provider: never again
	Invalid                // not a number that takes SMS: never again
	Fail                   // anything else: give up, keep the provider's words
)

// ProviderError is a provider's refusal.
type ProviderError struct {
	HTTPStatus int
	Code       int
	Message    string
	Verdict    Verdict
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("provider: HTTP %d, code %d: %s", e.HTTPStatus, e.Code, e.Message)
}

// VerdictOf classifies any error a Sender returns: a *ProviderError says
// so itself; anything else (a timeout, a refused connection) is retried.
func VerdictOf(err error) (Verdict, *ProviderError) {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Verdict, pe
	}
	return Retry, nil
}

// Claim is what a worker finds when it takes a queued message.
type Claim struct {
	Outcome  ClaimOutcome
	To, Text string
}

// ClaimOutcome says whether to send.
type ClaimOutcome int

const (
	ClaimSend     ClaimOutcome = iota // send it: "sending" is recorded
	ClaimMissing                      // no such message
	ClaimDone                         // already sent or final: a repeat after a crash
	ClaimOptedOut                     // the recipient opted out: recorded failed
)
