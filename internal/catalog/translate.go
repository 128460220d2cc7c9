package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// The translation round trip. `goi18n merge` skips qu and shp (it has no
// plural rule for them), so Willay has its own: Export writes a go-i18n
// file of what a translator must do, with the Spanish beside each text and
// the hash of that Spanish; Import takes the file back, checks it, and
// writes the texts into locales/{lang}.yaml with that hash, which marks
// them reviewed.

// Export writes, for lang, every message that is missing, a draft, or
// changed since review (or all messages, when all is true).
func (c *Catalog) Export(lang string, all bool) ([]byte, error) {
	if lang == Source {
		return nil, fmt.Errorf("Spanish is the source: export another language")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Willay texts to translate into %q.\n", lang)
	b.WriteString("# For each text: read the Spanish (es) and write the translation in `other`.\n")
	b.WriteString("# A `draft:` line is an earlier, unreviewed attempt: copy it into `other`\n")
	b.WriteString("# only if it is right; its `draft note:` says where its words come from\n")
	b.WriteString("# (keys of the translators' glossary, locales/glossary.md: SIL, FC, DM...).\n")
	b.WriteString("# Keep {{.Variables}} as they are. Do not change\n")
	b.WriteString("# `hash`: it says which Spanish text you translated. A text whose `other`\n")
	b.WriteString("# stays empty is skipped: only what you fill in is marked reviewed.\n")
	b.WriteString("# Hand the file back to be loaded with: willay locales import FILE\n\n")
	n := 0
	for _, id := range c.IDs() {
		st := c.Status(lang, id)
		if st == Reviewed && !all {
			continue
		}
		src := c.Message(Source, id)
		cur := c.Message(lang, id)
		draft, note := "", ""
		if cur != nil {
			draft, note = cur.Other, cur.Description
		}
		fmt.Fprintf(&b, "# %s\n", st)
		if src.Description != "" {
			fmt.Fprintf(&b, "# about: %s\n", oneLine(src.Description))
		}
		if src.One != "" {
			fmt.Fprintf(&b, "# es (one): %s\n", oneLine(src.One))
		}
		fmt.Fprintf(&b, "# es: %s\n", oneLine(src.Other))
		if draft != "" {
			fmt.Fprintf(&b, "# draft: %s\n", oneLine(draft))
		}
		if note != "" {
			fmt.Fprintf(&b, "# draft note: %s\n", oneLine(note))
		}
		fmt.Fprintf(&b, "%s:\n  hash: %s\n  other: \"\"\n\n", quote(id), Hash(src))
		n++
	}
	if n == 0 {
		b.WriteString("# Nothing to do: every text is reviewed.\n")
	}
	return b.Bytes(), nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// quote writes a YAML double-quoted scalar (JSON strings are valid YAML).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<")))
}

// ImportProblem is one text of a returned file that cannot be taken.
type ImportProblem struct {
	ID     string
	Reason string
}

func (p ImportProblem) String() string { return p.ID + ": " + p.Reason }

// Check is a per-language check of one translated text (encoding, length)
// that the caller supplies; nil means none.
type Check func(lang, text string) string

// Import reads a returned translation file and, when every text in it is
// acceptable, writes them into dir/{lang}.yaml. It returns how many texts
// it wrote, or every problem and writes nothing.
func (c *Catalog) Import(dir, lang string, buf []byte, check Check) (int, []ImportProblem, error) {
	// Importing into es would rewrite the source itself, and lang names the
	// file written: it must be a bare language code.
	if lang == Source || !langCode.MatchString(lang) {
		return 0, nil, fmt.Errorf("import into %q: give the code of a translated language (qu, quz, shp, ...); Spanish is the source", lang)
	}
	msgs, err := i18n.ParseMessageBytes(buf, yaml.Unmarshal)
	if err != nil {
		return 0, nil, fmt.Errorf("read translation file: %w", err)
	}
	// go-i18n returns messages in map order: follow the file instead, so
	// that problems are listed the same way every time.
	byID := map[string]*i18n.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	var problems []ImportProblem
	var take []*i18n.Message
	for _, id := range fileOrder(buf, byID) {
		m := byID[id]
		if m.Other == "" {
			continue
		}
		if p := c.acceptable(lang, m, check); p != "" {
			problems = append(problems, ImportProblem{m.ID, p})
			continue
		}
		take = append(take, m)
	}
	if len(problems) > 0 {
		return 0, problems, nil
	}
	return len(take), nil, c.write(dir, lang, take)
}

func (c *Catalog) acceptable(lang string, m *i18n.Message, check Check) string {
	src := c.Message(Source, m.ID)
	switch {
	case src == nil:
		return "no such text in Spanish: it was removed or renamed; export again"
	case m.Hash != Hash(src):
		return "the Spanish text changed since this file was exported; export again and translate the new text"
	case Variables(m.Other) != Variables(src.Other):
		return fmt.Sprintf("variables %s differ from the Spanish %s: keep them as they are", Variables(m.Other), Variables(src.Other))
	}
	if check != nil {
		return check(lang, m.Other)
	}
	return ""
}

var langCode = regexp.MustCompile(`^[a-z]{2,3}$`)

var variableRE = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// Variables lists the {{.Names}} of a text, sorted, as "{A, B}": a
// translation must have the same set as its Spanish.
func Variables(s string) string {
	var out []string
	for _, m := range variableRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return "{" + strings.Join(out, ", ") + "}"
}

// write merges taken texts into the language file, keeping its leading
// comment, its other texts, and the Spanish order.
func (c *Catalog) write(dir, lang string, take []*i18n.Message) error {
	path := filepath.Join(dir, lang+".yaml")
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	merged := map[string]*i18n.Message{}
	if l := c.langs[lang]; l != nil {
		for id, m := range l.messages {
			merged[id] = m
		}
	}
	for _, m := range take {
		keep := merged[m.ID]
		n := &i18n.Message{ID: m.ID, Hash: m.Hash, Other: m.Other, One: m.One}
		if keep != nil {
			n.Description = keep.Description
		}
		merged[m.ID] = n
	}
	var b bytes.Buffer
	b.WriteString(leadingComment(old))
	for _, id := range c.IDs() {
		if m := merged[id]; m != nil {
			writeMessage(&b, m)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func leadingComment(buf []byte) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(buf), "\n") {
		if !strings.HasPrefix(line, "#") && strings.TrimSpace(line) != "" {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func writeMessage(b *bytes.Buffer, m *i18n.Message) {
	fmt.Fprintf(b, "%s:\n", quote(m.ID))
	for _, f := range []struct{ k, v string }{{"description", m.Description}, {"hash", m.Hash}, {"one", m.One}, {"other", m.Other}} {
		if f.v != "" {
			fmt.Fprintf(b, "  %s: %s\n", f.k, quote(f.v))
		}
	}
}
