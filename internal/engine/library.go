package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/keyword"
	"github.com/willay-pe/willay/internal/reminder"
)

// Bundle is one version of the flows with the texts they were written with.
type Bundle struct {
	Flows   *flow.Set
	Catalog *catalog.Catalog
	Files   map[string][]byte // what the version hashes, for snapshots
	// Keywords are the SMS keywords of flows/sms.yaml (nil when absent).
	Keywords *keyword.Set
	// Reminders are the rules of flows/reminders.yaml (nil when absent).
	Reminders *reminder.File

	static sync.Map // lang, id, folding → normalized text of messages without variables
}

// Version names the bundle.
func (b *Bundle) Version() string { return b.Flows.Version }

// LoadDirs reads the flow files of flowsDir and the message files of
// localesDir from disk. Problems name them flows/… and locales/…, wherever
// the folders are.
func LoadDirs(flowsDir, localesDir string) (*Bundle, error) {
	files := map[string][]byte{}
	for label, dir := range map[string]string{"flows": flowsDir, "locales": localesDir} {
		names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			buf, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			files[label+"/"+filepath.Base(n)] = buf
		}
	}
	return LoadFiles(files)
}

// LoadFiles builds a bundle from files named flows/*.yaml and locales/*.yaml.
func LoadFiles(files map[string][]byte) (*Bundle, error) {
	mfs := fstest.MapFS{}
	locales := map[string][]byte{}
	for name, buf := range files {
		mfs[name] = &fstest.MapFile{Data: buf}
		if strings.HasPrefix(name, "locales/") {
			locales[name] = buf
		}
	}
	cat, err := catalog.Load(mfs, "locales")
	if err != nil {
		return nil, err
	}
	set, all, err := flow.Load(mfs, "flows", locales)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Flows: set, Catalog: cat, Files: all}
	if buf, ok := files[keywordsFile]; ok {
		if b.Keywords, err = keyword.Parse(keywordsFile, buf); err != nil {
			return nil, err
		}
	}
	if buf, ok := files[remindersFile]; ok {
		if b.Reminders, err = reminder.Parse(remindersFile, buf); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// keywordsFile holds the SMS keywords, and remindersFile the reminder
// rules, beside the menus.
const (
	keywordsFile  = "flows/sms.yaml"
	remindersFile = "flows/reminders.yaml"
)

// Snapshots keep every version that a session may still be running on, so
// that a restart with newer flows does not strand it.
type Snapshots interface {
	SaveSnapshot(ctx context.Context, version string, files map[string][]byte) error
	// LoadSnapshot's error wraps ErrVersionGone when the version has no
	// snapshot; any other error (a timeout) says nothing of the version.
	LoadSnapshot(ctx context.Context, version string) (map[string][]byte, error)
}

// ErrVersionGone is a version with no usable snapshot. Only then does a
// session on it restart; storage failing to answer is not this.
var ErrVersionGone = errors.New("flows version gone")

// Library serves the current bundle and any older one sessions still use.
type Library struct {
	snaps Snapshots

	mu      sync.RWMutex
	current *Bundle
	old     map[string]*Bundle
}

// NewLibrary starts with the current bundle, which must already be valid.
func NewLibrary(snaps Snapshots, current *Bundle) *Library {
	return &Library{snaps: snaps, current: current, old: map[string]*Bundle{current.Version(): current}}
}

// Publish makes b current, after saving its snapshot: a session that starts
// on b can then always finish on it.
func (l *Library) Publish(ctx context.Context, b *Bundle) error {
	if err := l.snaps.SaveSnapshot(ctx, b.Version(), b.Files); err != nil {
		return fmt.Errorf("save flows version %s: %w", b.Version(), err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current = b
	l.old[b.Version()] = b
	return nil
}

// Current is the bundle new sessions start on.
func (l *Library) Current() *Bundle {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.current
}

// Get finds a version in memory or, after a restart, in its snapshot.
func (l *Library) Get(ctx context.Context, version string) (*Bundle, error) {
	l.mu.RLock()
	b := l.old[version]
	l.mu.RUnlock()
	if b != nil {
		return b, nil
	}
	files, err := l.snaps.LoadSnapshot(ctx, version)
	if err != nil {
		return nil, err
	}
	b, err = LoadFiles(files)
	if err != nil { // it will not load any better next time
		return nil, fmt.Errorf("flows version %s: %w: %w", version, ErrVersionGone, err)
	}
	l.mu.Lock()
	l.old[version] = b
	l.mu.Unlock()
	return b, nil
}
