//go:build !unix

package inbound

import (
	"errors"
	"os"
)

// lock needs flock, which only Unix systems have: elsewhere the spool
// refuses to keep messages, and an incoming SMS during a storage outage
// gets 503 as it would without a spool.
func lock(*os.File, bool) error { return errors.New("the SMS spool needs a Unix system") }
