package sms

import "time"

// Incoming is one message a person sent to Willay.
type Incoming struct {
	From string    `json:"from"` // E.164
	SID  string    `json:"sid"`  // the provider's ID of the message: with From, its identity
	Body string    `json:"body"`
	At   time.Time `json:"at"` // when it reached Willay
}

// Answer is what Willay answered to an incoming message. It is kept under
// the message's identity, so that a repeat of the message (a provider's
// retry, a replay from the spool, or a replayed request) gets the same
// answer and changes nothing.
type Answer struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
	// BySMS: the answer goes out as a message of its own (the incoming one
	// was replayed from the spool), not as the reply to the webhook.
	BySMS bool `json:"sms,omitempty"`
}

// Admission is what Willay does with an incoming message before reading it.
type Admission int

const (
	Admit    Admission = iota // new: answer it
	Repeat                    // answered before: give the same answer, change nothing
	WarnLoop                  // over the loop limit now: say so, once
	Muted                     // the number is muted: ignore it
)
