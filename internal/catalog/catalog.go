// Package catalog owns the texts people read: it loads the message files in
// locales/ (go-i18n's format) and renders a message in a participant's
// language, falling back to Spanish.
//
// go-i18n v2.7.0 has no CLDR plural rule for Quechua (qu) or Shipibo-Konibo
// (shp): adding their messages to a bundle fails, and private-use tags get
// confused by the matcher. The catalog therefore keeps one go-i18n bundle per
// language, so no matcher ever chooses between languages, and picks the
// language itself (quz → qu → es). Neither language inflects a noun for
// number after a numeral ("kimsa wasi", three houses), so their bundles use
// the "other"-only rule that CLDR gives to languages without plural
// inflection; Spanish keeps its own one/many/other rule.
package catalog

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Source is the language every text is written in first, and the fallback.
const Source = "es"

// otherOnly is a tag whose CLDR plural rule has the single form "other".
// It is borrowed, never shown, for languages go-i18n has no rule for.
var otherOnly = language.Indonesian

// Catalog holds every language's messages. It is immutable once loaded.
type Catalog struct {
	langs map[string]*lang
	loans map[string][]string // LoanwordsFile: language code or "all" → lower-case words
}

type lang struct {
	code     string
	file     string
	messages map[string]*i18n.Message
	order    []string // message IDs in file order
	loc      *i18n.Localizer
}

// ErrNotFound reports a message ID that no language, not even Spanish, has.
var ErrNotFound = errors.New("message not found")

// Load reads every *.yaml file in dir of fsys; the file's base name is its
// language code (es.yaml, qu.yaml, quz.yaml, shp.yaml), except
// LoanwordsFile, the words exempt from the alphabet check.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	c := &Catalog{langs: map[string]*lang{}}
	var errs []error
	for _, name := range names {
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if isLoanwordsFile(name) {
			if c.loans, err = parseLoanwords(name, buf); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		l, err := parse(name, buf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.langs[l.code] = l
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c.langs[Source] == nil {
		return nil, fmt.Errorf("%s: no %s.yaml: Spanish is the source of every text", dir, Source)
	}
	return c, nil
}

func parse(name string, buf []byte) (*lang, error) {
	code := strings.TrimSuffix(path.Base(name), ".yaml")
	msgs, err := i18n.ParseMessageBytes(buf, yaml.Unmarshal)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := parseTemplates(msgs); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tag := otherOnly
	if code == Source {
		tag = language.Spanish
	}
	b := i18n.NewBundle(tag)
	if err := b.AddMessages(tag, msgs...); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l := &lang{code: code, file: name, messages: map[string]*i18n.Message{}, loc: i18n.NewLocalizer(b, tag.String())}
	for _, m := range msgs {
		l.messages[m.ID] = m
	}
	l.order = fileOrder(buf, l.messages)
	return l, nil
}

// parseTemplates parses every form of every message with go-i18n's own
// parser now: go-i18n parses a template only when it renders it, so a
// broken one ("{{.Name") would load and fail in front of a participant, or
// be replaced silently where the engine has a default (nav.back).
func parseTemplates(msgs []*i18n.Message) error {
	var errs []error
	parser := &template.TextParser{}
	for _, m := range msgs {
		for _, form := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
			if _, err := parser.Parse(form, m.LeftDelim, m.RightDelim); err != nil {
				errs = append(errs, fmt.Errorf("message %s: %w", m.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// fileOrder lists message IDs as they stand in the file, so that exports
// follow the order translators know; IDs it cannot place go last, sorted.
func fileOrder(buf []byte, msgs map[string]*i18n.Message) []string {
	var keys yaml.MapSlice
	_ = yaml.Unmarshal(buf, &keys)
	seen := map[string]bool{}
	var order []string
	for _, item := range keys {
		id, ok := item.Key.(string)
		if ok && msgs[id] != nil && !seen[id] {
			order = append(order, id)
			seen[id] = true
		}
	}
	var rest []string
	for id := range msgs {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	return append(order, rest...)
}

// Languages lists the loaded language codes, Spanish first.
func (c *Catalog) Languages() []string {
	out := []string{Source}
	var rest []string
	for code := range c.langs {
		if code != Source {
			rest = append(rest, code)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// IDs lists the Spanish message IDs in file order.
func (c *Catalog) IDs() []string { return c.langs[Source].order }

// File is the path a language was loaded from.
func (c *Catalog) File(code string) string {
	if l := c.langs[code]; l != nil {
		return l.file
	}
	return ""
}

// Resolve maps a participant's language code to the catalog language that
// serves it: a variant with its own file (quz.yaml) serves itself; otherwise
// its macrolanguage (quz, quy → qu); anything unknown is served in Spanish.
func (c *Catalog) Resolve(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if c.langs[code] != nil {
		return code
	}
	if base := Macrolanguage(code); c.langs[base] != nil {
		return base
	}
	return Source
}

// Macrolanguage maps an individual language code to the macrolanguage whose
// file serves it. Quechua's varieties each have their own ISO 639-3 code.
func Macrolanguage(code string) string {
	if len(code) == 3 && strings.HasPrefix(code, "qu") {
		return "qu"
	}
	return code
}

// chain is the order in which languages are tried for a resolved code.
func (c *Catalog) chain(code string) []string {
	code = c.Resolve(code)
	out := []string{code}
	if base := Macrolanguage(code); base != code && c.langs[base] != nil {
		out = append(out, base)
	}
	if code != Source {
		out = append(out, Source)
	}
	return out
}

// Text renders message id in the language serving code. When that language
// lacks the message it falls back along quz → qu → es, and fellBack is true.
// data may be nil; a "Count" entry selects the plural form.
func (c *Catalog) Text(code, id string, data map[string]any) (text string, fellBack bool, err error) {
	for i, lc := range c.chain(code) {
		l := c.langs[lc]
		if l.messages[id] == nil {
			continue
		}
		cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
		if n, ok := data["Count"]; ok {
			cfg.PluralCount = n
		}
		s, err := l.loc.Localize(cfg)
		if err != nil {
			return "", i > 0, fmt.Errorf("%s: message %s: %w", l.file, id, err)
		}
		return s, i > 0, nil
	}
	return "", true, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// Static tells whether message id, as served to code, has no variables:
// its text is then the same for everyone and may be cached.
func (c *Catalog) Static(code, id string) bool {
	for _, lc := range c.chain(code) {
		if m := c.langs[lc].messages[id]; m != nil {
			for _, f := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if strings.Contains(f, "{{") {
					return false
				}
			}
			return true
		}
	}
	return false
}

// Message is the raw message id in exactly language code, or nil.
func (c *Catalog) Message(code, id string) *i18n.Message {
	if l := c.langs[code]; l != nil {
		return l.messages[id]
	}
	return nil
}

// Has tells whether language code itself (no fallback) has message id.
func (c *Catalog) Has(code, id string) bool { return c.Message(code, id) != nil }

// Hash identifies the content of a source message, in go-i18n's convention
// ("sha1-…"); descriptions do not count. A translation whose hash equals its source's current hash was
// reviewed against exactly that text.
func Hash(m *i18n.Message) string {
	h := sha1.New()
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha1-" + hex.EncodeToString(h.Sum(nil))
}

// Status is where a translation stands.
type Status int

const (
	Reviewed Status = iota // a native speaker approved it against the current source
	Draft                  // written here, never reviewed (no hash)
	Stale                  // reviewed once, but the Spanish source changed since
	Missing                // no text at all
)

func (s Status) String() string {
	return [...]string{"reviewed", "draft", "changed", "missing"}[s]
}

// Status tells where message id stands in language code. Spanish, the
// source, is always reviewed.
func (c *Catalog) Status(code, id string) Status {
	if code == Source {
		return Reviewed
	}
	m := c.Message(code, id)
	switch {
	case m == nil:
		return Missing
	case m.Hash == "":
		return Draft
	case m.Hash != Hash(c.Message(Source, id)):
		return Stale
	}
	return Reviewed
}
