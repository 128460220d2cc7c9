// Package flow owns menu flows as data: the YAML vocabulary in flows/, how it
// loads, and how a whole set of flows is validated before it may run.
// It knows nothing of sessions, Redis or gateways.
package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/goccy/go-yaml"
)

// Node types.
const (
	Menu   = "menu"
	Page   = "page"
	Input  = "input"
	Action = "action"
	End    = "end"
)

// Flow is one file of flows/: a graph of nodes entered at Start.
type Flow struct {
	Name  string           `yaml:"flow"`
	Start string           `yaml:"start"`
	Nodes map[string]*Node `yaml:"nodes"`
	File  string           `yaml:"-"`
	order []string
}

// Node is one step. Which fields matter depends on Type.
type Node struct {
	ID       string            `yaml:"-"`
	Type     string            `yaml:"type"`
	Text     string            `yaml:"text"`     // message ID shown on top
	Options  []Option          `yaml:"options"`  // menu, and extra choices on a page
	Action   string            `yaml:"action"`   // Go action name
	Args     map[string]string `yaml:"args"`     // fixed arguments for the action
	Validate string            `yaml:"validate"` // input: validator name
	Show     string            `yaml:"show"`     // input: action whose values and items the prompt shows
	Item     string            `yaml:"item"`     // page: message ID per entry
	Empty    string            `yaml:"empty"`    // page: message ID when no entry
	Next     map[string]string `yaml:"next"`     // action/input: outcome → node
}

// Option is one numbered choice of a menu.
type Option struct {
	Label string `yaml:"label"`
	Next  string `yaml:"next"`
}

// Screen tells whether the node shows a screen and waits for the person.
func (n *Node) Screen() bool { return n.Type == Menu || n.Type == Page || n.Type == Input }

// Set is every flow loaded together, with the version that names them.
type Set struct {
	Version string
	Flows   map[string]*Flow
}

// Node finds a node of a flow, or nil.
func (s *Set) Node(flowName, id string) *Node {
	f := s.Flows[flowName]
	if f == nil {
		return nil
	}
	return f.Nodes[id]
}

// Parse reads one flow file.
func Parse(file string, buf []byte) (*Flow, error) {
	f := &Flow{File: file}
	if err := yaml.UnmarshalWithOptions(buf, f, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	var raw struct {
		Nodes yaml.MapSlice `yaml:"nodes"`
	}
	_ = yaml.Unmarshal(buf, &raw)
	for _, item := range raw.Nodes {
		if id, ok := item.Key.(string); ok {
			f.order = append(f.order, id)
		}
	}
	for id, n := range f.Nodes {
		if n == nil {
			n = &Node{}
			f.Nodes[id] = n
		}
		n.ID = id
	}
	return f, nil
}

// Order lists node IDs as they stand in the file.
func (f *Flow) Order() []string {
	if len(f.order) == len(f.Nodes) {
		return f.order
	}
	ids := make([]string, 0, len(f.Nodes))
	for id := range f.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Load reads every *.yaml of dir in fsys. The version is a hash of the
// flow files and of extra (the message files), so that a session started
// on one set of texts and menus finishes on it.
func Load(fsys fs.FS, dir string, extra map[string][]byte) (*Set, map[string][]byte, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s: no flow files (*.yaml)", dir)
	}
	files := map[string][]byte{}
	set := &Set{Flows: map[string]*Flow{}}
	for _, name := range names {
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, nil, err
		}
		files[name] = buf
		if !isFlow(buf) {
			continue // other data kept beside the menus (SMS keywords), read by its own package
		}
		f, err := Parse(name, buf)
		if err != nil {
			return nil, nil, err
		}
		if prev := set.Flows[f.Name]; prev != nil {
			return nil, nil, fmt.Errorf("%s: flow %q is already defined in %s", name, f.Name, prev.File)
		}
		set.Flows[f.Name] = f
	}
	for k, v := range extra {
		files[k] = v
	}
	set.Version = Version(files)
	return set, files, nil
}

// otherData are the top-level keys of data files kept beside the menus
// and read by their own packages.
var otherData = []string{"keywords", "rules"}

// isFlow tells a menu flow from other data in the same folder; a file that
// is neither is taken for a flow, so that what is wrong with it is reported.
func isFlow(buf []byte) bool {
	var top map[string]any
	if err := yaml.Unmarshal(buf, &top); err != nil {
		return true
	}
	for _, k := range otherData {
		if _, ok := top[k]; ok {
			return false
		}
	}
	return true
}

// Version hashes files by name and content.
func Version(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
