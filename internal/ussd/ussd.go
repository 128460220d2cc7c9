// Package ussd owns the edge between USSD gateways and the engine: each
// gateway is a folder here that turns its wire format into an engine.Hop and
// an engine.Reply back into its wire format.
package ussd

import (
	"net/http"

	"github.com/willay-pe/willay/internal/engine"
)

// Gateway is one aggregator's wire format.
type Gateway interface {
	// Name is the last path element of its endpoint: POST /ussd/{name}.
	Name() string
	// Parse reads a request. A *BadRequest error means the request is
	// malformed and is answered with WriteError.
	Parse(r *http.Request) (engine.Hop, error)
	// Write sends a screen.
	Write(w http.ResponseWriter, reply engine.Reply)
	// WriteError refuses a malformed request as the gateway expects.
	WriteError(w http.ResponseWriter, err *BadRequest)
}

// BadRequest is a malformed request: what is wrong, for the log and the
// gateway's operator.
type BadRequest struct {
	Field  string
	Reason string
}

func (e *BadRequest) Error() string { return e.Field + ": " + e.Reason }

// Limits every gateway enforces before the engine sees a request.
const (
	MaxBody      = 8 << 10 // bytes
	MaxSessionID = 128
	MaxInput     = 182              // one input is at most one screen of typing
	MaxInputs    = engine.MaxInputs // one limit, enforced first at the gateway
)
