package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/willay-pe/willay/internal/sms"
)

// Spool keeps incoming messages on disk while storage cannot take them:
// one JSON line per message, appended and fsynced before the webhook is
// answered, replayed in arrival order when storage is back.
//
// Its folder holds:
//
//	incoming.jsonl   appended by webhooks
//	replaying.jsonl  incoming.jsonl, renamed by the replay that took it
//	rejected.jsonl   lines that could not be replayed, with why: staff read them
//	replay.lock      held by the process replaying
//
// Several processes may share the folder: appends and the rename are
// serialized with flock on incoming.jsonl, and one replay runs at a time.
// The lines hold what people sent (phones, and PINs in "SALDO 1234"), so
// the folder and files are private to the service's user.
type Spool struct{ dir string }

// NewSpool is the spool in dir (WILLAY_SPOOL_DIR).
func NewSpool(dir string) *Spool { return &Spool{dir: dir} }

const (
	incomingFile  = "incoming.jsonl"
	replayingFile = "replaying.jsonl"
	rejectedFile  = "rejected.jsonl"
	lockFile      = "replay.lock"
)

func (s *Spool) path(name string) string { return filepath.Join(s.dir, name) }

// Ready makes the folder and checks that it takes files, so that a
// service that could lose messages says so when it starts, not during an
// outage.
func (s *Spool) Ready() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("WILLAY_SPOOL_DIR: %w (set it to a folder the service can write)", err)
	}
	f, err := os.CreateTemp(s.dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("WILLAY_SPOOL_DIR: %w (set it to a folder the service can write)", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Pending tells whether messages wait to be replayed. While some do, new
// ones queue behind them, so that a person's messages apply in the order
// they were sent (a BAJA then an ALTA).
func (s *Spool) Pending() bool {
	for _, name := range []string{incomingFile, replayingFile} {
		if fi, err := os.Stat(s.path(name)); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}

// Append keeps in on disk; when it returns nil the message survives a
// crash of the process or of the machine.
func (s *Spool) Append(in sms.Incoming) error {
	line, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	f, err := s.openLocked()
	if err != nil {
		return err
	}
	defer f.Close() // closing releases the lock
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	// A crash in the middle of a write leaves a line without its end; the
	// next message must not be glued to it.
	if n := fi.Size(); n > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, n-1); err == nil && last[0] != '\n' {
			line = append([]byte("\n"), line...)
		}
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if fi.Size() == 0 {
		return s.syncDir() // the new file's name must survive a crash too
	}
	return nil
}

// openLocked opens incoming.jsonl for appending under its lock. A replay
// may rename the file between the open and the lock: then the name is
// opened again, so that nothing is appended to a file already taken.
func (s *Spool) openLocked() (*os.File, error) {
	for {
		f, err := os.OpenFile(s.path(incomingFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		if err := lock(f, true); err != nil {
			f.Close()
			return nil, fmt.Errorf("spool: lock: %w", err)
		}
		held, err1 := f.Stat()
		named, err2 := os.Stat(s.path(incomingFile))
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return f, nil
		}
		f.Close()
	}
}

func (s *Spool) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Reject marks an error of a replay's apply as the message's own: the
// line is moved to rejected.jsonl and the replay goes on. Any other error
// stops the replay, keeping that message and those after it for later.
func Reject(err error) error { return &rejectError{err} }

type rejectError struct{ err error }

func (e *rejectError) Error() string { return e.err.Error() }
func (e *rejectError) Unwrap() error { return e.err }

// Rejected is a line a replay could not apply, kept in rejected.jsonl.
type Rejected struct {
	File   string    `json:"file"`
	Line   int       `json:"line"`
	Reason string    `json:"reason"`
	Raw    string    `json:"raw"`
	At     time.Time `json:"at"`
}

// Drain hands each spooled message to apply, in arrival order, until the
// spool is empty or apply fails. Each rejected line is kept and reported
// to rejected. It does nothing while another process replays.
func (s *Spool) Drain(apply func(sms.Incoming) error, rejected func(Rejected)) error {
	lf, err := os.OpenFile(s.path(lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no folder: nothing was ever spooled here
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer lf.Close()
	if err := lock(lf, false); err != nil {
		return nil // another process is replaying
	}
	for {
		if _, err := os.Stat(s.path(replayingFile)); errors.Is(err, os.ErrNotExist) {
			if took, err := s.take(); err != nil || !took {
				return err
			}
		}
		if err := s.replay(apply, rejected); err != nil {
			return err
		}
		if err := os.Remove(s.path(replayingFile)); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
}

// take renames incoming.jsonl to replaying.jsonl under its lock, so that
// appends after it start a new file. It reports whether there was one.
func (s *Spool) take() (bool, error) {
	f, err := os.OpenFile(s.path(incomingFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	if err := lock(f, true); err != nil {
		return false, fmt.Errorf("spool: lock: %w", err)
	}
	if err := os.Rename(s.path(incomingFile), s.path(replayingFile)); err != nil {
		return false, fmt.Errorf("spool: %w", err)
	}
	return true, s.syncDir()
}

// replay applies replaying.jsonl line by line. When apply stops it, the
// lines not yet applied are written back, so that the next replay starts
// there.
func (s *Spool) replay(apply func(sms.Incoming) error, rejected func(Rejected)) error {
	data, err := os.ReadFile(s.path(replayingFile))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for i, raw := range lines {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		in, err := parseLine(raw)
		if err == nil {
			err = apply(in)
		}
		var rej *rejectError
		switch {
		case err == nil:
		case errors.As(err, &rej) || isCorrupt(err):
			r := Rejected{File: replayingFile, Line: i + 1, Reason: err.Error(), Raw: string(raw), At: time.Now()}
			if err := s.reject(r); err != nil {
				return err
			}
			rejected(r)
		default:
			if i > 0 {
				if werr := s.rewrite(bytes.Join(lines[i:], []byte("\n"))); werr != nil {
					return werr
				}
			}
			return err
		}
	}
	return nil
}

// corruptError is a spool line that is not a message: a torn write, or a
// file edited by hand.
type corruptError struct{ reason string }

func (e *corruptError) Error() string { return "corrupt line: " + e.reason }

func isCorrupt(err error) bool {
	var c *corruptError
	return errors.As(err, &c)
}

func parseLine(raw []byte) (sms.Incoming, error) {
	var in sms.Incoming
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, &corruptError{err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return in, &corruptError{"text after the message"}
	}
	if in.From == "" || in.SID == "" {
		return in, &corruptError{"no sender or message ID"}
	}
	return in, nil
}

func (s *Spool) reject(r Rejected) error {
	line, _ := json.Marshal(r)
	f, err := os.OpenFile(s.path(rejectedFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return f.Sync()
}

// rewrite replaces replaying.jsonl with what is left of it, atomically.
func (s *Spool) rewrite(rest []byte) error {
	tmp := s.path(replayingFile + ".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = f.Write(rest)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path(replayingFile))
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return s.syncDir()
}
