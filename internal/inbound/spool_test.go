package inbound

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/sms"
)

func msg(i int) sms.Incoming {
	return sms.Incoming{From: "+51900000001", SID: fmt.Sprintf("SM%032d", i), Body: "BAJA", At: time.Unix(int64(i), 0).UTC()}
}

// drainAll replays the spool with apply and returns the SIDs applied and
// the lines rejected.
func drainAll(t *testing.T, s *Spool, apply func(sms.Incoming) error) (applied []string, rejected []Rejected, err error) {
	t.Helper()
	err = s.Drain(func(in sms.Incoming) error {
		if err := apply(in); err != nil {
			return err
		}
		applied = append(applied, in.SID)
		return nil
	}, func(r Rejected) { rejected = append(rejected, r) })
	return applied, rejected, err
}

func ok(sms.Incoming) error { return nil }

func TestSpoolReplaysInOrderAndKeepsWhatFailed(t *testing.T) {
	s := NewSpool(t.TempDir())
	if s.Pending() {
		t.Fatal("a new spool has nothing pending")
	}
	for i := range 3 {
		if err := s.Append(msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	down := errors.New("storage down")
	applied, _, err := drainAll(t, s, func(in sms.Incoming) error {
		if in.SID == msg(1).SID {
			return down
		}
		return nil
	})
	if !errors.Is(err, down) || !slices.Equal(applied, []string{msg(0).SID}) || !s.Pending() {
		t.Fatalf("storage down at the second message: applied %v, err %v, pending %v", applied, err, s.Pending())
	}
	if err := s.Append(msg(3)); err != nil { // arrives meanwhile
		t.Fatal(err)
	}
	applied, _, err = drainAll(t, s, ok)
	if want := []string{msg(1).SID, msg(2).SID, msg(3).SID}; err != nil || !slices.Equal(applied, want) {
		t.Errorf("the next replay: %v %v, want %v (the first not again, then in order)", applied, err, want)
	}
	if s.Pending() {
		t.Error("pending after a full replay")
	}
}

func TestSpoolRejectsWhatCannotBeReplayed(t *testing.T) {
	for _, c := range []struct {
		name     string
		file     string // incoming.jsonl before the append
		apply    func(sms.Incoming) error
		applied  int
		rejected []string // reasons, by prefix
	}{
		{"torn write, then an append", `{"from":"+51900000001","sid":"SMx`, ok, 1, []string{"corrupt line: unexpected EOF"}},
		{"not a message", "hello\n", ok, 1, []string{"corrupt line: invalid character"}},
		{"no message ID", `{"from":"+51900000001","body":"BAJA"}` + "\n", ok, 1, []string{"corrupt line: no sender or message ID"}},
		{"unknown field", `{"from":"+51900000001","sid":"SM1","pin":"1"}` + "\n", ok, 1, []string{"corrupt line: json: unknown field"}},
		{"refused while storage answers", "", func(sms.Incoming) error { return Reject(errors.New("bad text")) }, 0, []string{"bad text"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewSpool(dir)
			if c.file != "" {
				if err := os.WriteFile(filepath.Join(dir, incomingFile), []byte(c.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Append(msg(7)); err != nil {
				t.Fatal(err)
			}
			applied, rejected, err := drainAll(t, s, c.apply)
			if err != nil || len(applied) != c.applied || len(rejected) != len(c.rejected) {
				t.Fatalf("applied %v, rejected %+v, err %v", applied, rejected, err)
			}
			kept, _ := os.ReadFile(filepath.Join(dir, rejectedFile))
			for i, want := range c.rejected {
				if !strings.HasPrefix(rejected[i].Reason, want) || !strings.Contains(string(kept), `"line":`) {
					t.Errorf("rejected %+v, want %q; rejected.jsonl: %s", rejected[i], want, kept)
				}
			}
			if s.Pending() {
				t.Error("pending after the replay")
			}
		})
	}
}

// TestSpoolAppendsRaceAReplay: appends from many goroutines (as from
// several processes sharing the folder) while replays run: every message
// is applied once.
func TestSpoolAppendsRaceAReplay(t *testing.T) {
	dir := t.TempDir()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := NewSpool(dir).Append(msg(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	seen := map[string]int{}
	var mu sync.Mutex
	replay := func() {
		if err := NewSpool(dir).Drain(func(in sms.Incoming) error {
			mu.Lock()
			seen[in.SID]++
			mu.Unlock()
			return nil
		}, func(r Rejected) { t.Errorf("rejected %+v", r) }); err != nil {
			t.Error(err)
		}
	}
	stop := make(chan struct{})
	var rw sync.WaitGroup
	for range 2 {
		rw.Add(1)
		go func() {
			defer rw.Done()
			for {
				select {
				case <-stop:
					return
				default:
					replay()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rw.Wait()
	replay()
	if len(seen) != n {
		t.Errorf("%d of %d messages applied", len(seen), n)
	}
	for sid, k := range seen {
		if k != 1 {
			t.Errorf("%s applied %d times", sid, k)
		}
	}
}

func TestSpoolReadyRefusesAFolderItCannotWrite(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes anywhere")
	}
	ro := t.TempDir()
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if err := NewSpool(filepath.Join(ro, "spool")).Ready(); err == nil || !strings.Contains(err.Error(), "WILLAY_SPOOL_DIR") {
		t.Errorf("a folder it cannot write: %v", err)
	}
	if err := NewSpool(filepath.Join(t.TempDir(), "spool")).Ready(); err != nil {
		t.Errorf("a writable folder: %v", err)
	}
}
