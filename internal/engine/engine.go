package engine

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/program"
)

// Config is everything the engine depends on.
type Config struct {
	Store    Store
	Library  *Library
	Actions  map[string]Action
	Screens  Screens
	Location *time.Location // the participants' timezone
	Now      func() time.Time
	PINKey   []byte
	Log      *slog.Logger
}

// Engine answers hops. It is safe for concurrent use: all state is in the
// session, and the session is in the Store.
type Engine struct{ Config }

// New builds an engine.
func New(c Config) *Engine {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Engine{c}
}

// maxInputs bounds how much of a path is read: no menu is that deep, and a
// hostile gateway must not make one hop replay thousands of inputs.
const maxInputs = 64

// ErrTooManyInputs reports a path longer than any real session.
var ErrTooManyInputs = errors.New("too many inputs in one session")

// Handle answers one hop. Repeated hops get the same reply and change
// nothing; a session lost from storage is rebuilt from the path.
func (e *Engine) Handle(ctx context.Context, hop Hop) (Reply, error) {
	if len(hop.Inputs) > maxInputs {
		return Reply{}, ErrTooManyInputs
	}
	sess, person, err := e.Store.Load(ctx, hop.SessionID, hop.Phone)
	if err != nil {
		return Reply{}, fmt.Errorf("load session: %w", err)
	}
	path := strings.Join(hop.Inputs, "*")
	if sess != nil && (sess.Path == path || sess.End) && sess.Reply != "" {
		return Reply{Text: sess.Reply, End: sess.End, Lang: e.Library.Current().Catalog.Resolve(person.Lang), Node: sess.Flow + "/" + sess.Node}, nil
	}
	if person.Role == program.Unknown {
		return e.Unregistered(), nil
	}
	r, err := e.start(ctx, sess, person, hop)
	if err != nil {
		return Reply{}, err
	}
	if err := r.advance(sess == nil, hop.Inputs); err != nil {
		return Reply{}, err
	}
	reply, err := r.reply()
	if err != nil {
		return Reply{}, err
	}
	r.s.Path, r.s.Inputs, r.s.Reply, r.s.End = path, len(hop.Inputs), reply.Text, reply.End
	if err := e.Store.Save(ctx, r.s); err != nil {
		return Reply{}, fmt.Errorf("save session: %w", err)
	}
	return reply, nil
}

// start picks up the session on the flows version it began on, or begins
// one on the current version.
func (e *Engine) start(ctx context.Context, sess *Session, p *program.Person, hop Hop) (*run, error) {
	r := &run{e: e, ctx: ctx, p: p, hop: hop, now: e.Now().In(e.Location)}
	if sess != nil {
		b, err := e.Library.Get(ctx, sess.Version)
		if err == nil && b.Flows.Node(sess.Flow, sess.Node) != nil {
			r.b, r.s = b, sess
			if r.s.Vars == nil {
				r.s.Vars = map[string]string{}
			}
			return r, nil
		}
		e.Log.Warn("session restarted: its flows version is gone", "session", hop.SessionID, "version", sess.Version, "err", err)
		r.notice = "session.restarted"
	}
	r.b = e.Library.Current()
	name := "participant"
	if p.Role == program.Coach {
		name = "coach"
	}
	f := r.b.Flows.Flows[name]
	r.s = &Session{ID: hop.SessionID, Phone: hop.Phone, Version: r.b.Version(), Flow: name, Vars: map[string]string{}, Started: r.now}
	return r, r.enter(f.Start)
}

// run is one hop in progress.
type run struct {
	e          *Engine
	ctx        context.Context
	b          *Bundle
	s          *Session
	p          *program.Person
	hop        Hop
	now        time.Time
	notice     string
	noticeVars map[string]any
	replaying  bool
	path       []string // the inputs up to the one being applied
}

// errReplayStop stops a replay before an input with side effects.
var errReplayStop = errors.New("replay stops before a side effect")

// advance applies the inputs this hop brings. A new session with inputs is
// a lost one: every input but the last is replayed without side effects,
// and the last is what the person just typed.
func (r *run) advance(fresh bool, inputs []string) error {
	n := len(inputs)
	if fresh {
		r.replaying = true
		for i := 0; i < n-1; i++ {
			if err := r.input(inputs[:i+1]); err == errReplayStop {
				return nil
			} else if err != nil {
				return err
			}
		}
		r.replaying = false
		if n > 0 {
			return r.input(inputs)
		}
		return nil
	}
	done := r.s.Inputs
	if n > done && strings.HasPrefix(strings.Join(inputs, "*"), r.s.Path) {
		for i := done; i < n; i++ {
			if err := r.input(inputs[:i+1]); err != nil {
				return err
			}
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	// A gateway that sends only the last input, or that restarted its
	// path: answer the last input where the session stands.
	prev := strings.Split(r.s.Path, "*")[:min(done, maxInputs)]
	if r.s.Path == "" {
		prev = nil
	}
	return r.input(append(prev, inputs[n-1]))
}

func (r *run) node() *flow.Node { return r.b.Flows.Node(r.s.Flow, r.s.Node) }

func (r *run) flow() *flow.Flow { return r.b.Flows.Flows[r.s.Flow] }

// input applies the last element of path; path identifies the hop for
// once keys. The session is unchanged when a replay stops.
func (r *run) input(path []string) error {
	in := strings.TrimSpace(path[len(path)-1])
	r.notice, r.noticeVars, r.path = "", nil, path
	saved := r.snapshot()
	err := r.apply(in)
	if err == errReplayStop {
		r.restore(saved)
	}
	return err
}

func (r *run) apply(in string) error {
	switch in {
	case "00":
		r.s.Stack = nil
		return r.enter(r.flow().Start)
	case "0":
		return r.back()
	case "98":
		pages, err := r.pages()
		if err != nil {
			return err
		}
		if r.s.Page+1 < len(pages) {
			r.s.Page++
			return nil
		}
		r.notice = "error.option"
		return nil
	}
	n := r.node()
	switch n.Type {
	case flow.Menu, flow.Page:
		k, err := strconv.Atoi(in)
		if err != nil || k < 1 || k > len(n.Options) || len(in) > 1 {
			r.notice = "error.option"
			return nil
		}
		r.s.Stack = append(r.s.Stack, n.ID)
		return r.enter(n.Options[k-1].Next)
	case flow.Input:
		v := validators[n.Validate]
		if !v.ok(in) {
			r.notice = v.message
			return nil
		}
		res, err := r.act(n, in)
		if err != nil {
			return err
		}
		return r.enter(n.Next[res.Outcome])
	}
	return nil
}

// back returns to the menu the person came from.
func (r *run) back() error {
	if r.s.Page > 0 {
		r.s.Page--
		return nil
	}
	if len(r.s.Stack) == 0 {
		return r.enter(r.flow().Start)
	}
	last := len(r.s.Stack) - 1
	r.s.Node, r.s.Page, r.s.Stack = r.s.Stack[last], 0, r.s.Stack[:last]
	return nil
}

// maxChain bounds action nodes run in a row, against a loop in a flow.
const maxChain = 32

// enter goes to node id, running action nodes until a screen.
func (r *run) enter(id string) error {
	for i := 0; i < maxChain; i++ {
		n := r.b.Flows.Node(r.s.Flow, id)
		if n == nil {
			return fmt.Errorf("flow %s version %s: node %q does not exist", r.s.Flow, r.s.Version, id)
		}
		if n.Type != flow.Action {
			r.s.Node, r.s.Page = id, 0
			return nil
		}
		res, err := r.act(n, "")
		if err != nil {
			return err
		}
		id = n.Next[res.Outcome]
	}
	return fmt.Errorf("flow %s: more than %d actions in a row from %q", r.s.Flow, maxChain, id)
}

// act runs the action of node n.
func (r *run) act(n *flow.Node, in string) (Result, error) {
	a, ok := r.e.Actions[n.Action]
	if !ok {
		return Result{}, fmt.Errorf("flow %s node %s: unknown action %q", r.s.Flow, n.ID, n.Action)
	}
	if a.SideEffect && r.replaying {
		return Result{}, errReplayStop
	}
	res, err := a.Run(r.ctx, r.call(n, in))
	if err != nil {
		return Result{}, fmt.Errorf("action %s: %w", n.Action, err)
	}
	if res.Notice != "" {
		r.notice, r.noticeVars = res.Notice, res.NoticeVars
	}
	return res, nil
}

func (r *run) call(n *flow.Node, in string) *Call {
	return &Call{
		Person: r.p, Sess: r.s, Input: in, Args: n.Args, Now: r.now, Store: r.e.Store,
		Once: onceKey(r.s.ID, r.path, n.ID),
		T:    func(id string) string { return r.textOr(id, "") },
		PIN:  PINHasher(r.e.PINKey, r.p.Phone),
	}
}

// onceKey names one hop's side effect: the same session, path and node
// always give the same key, so a repeated hop cannot apply twice.
func onceKey(session string, path []string, node string) string {
	h := sha1.Sum([]byte(session + "\x00" + strings.Join(path, "*") + "\x00" + node))
	return hex.EncodeToString(h[:12])
}

type snapshot struct {
	node  string
	page  int
	stack []string
	vars  map[string]string
}

func (r *run) snapshot() snapshot {
	vars := make(map[string]string, len(r.s.Vars))
	for k, v := range r.s.Vars {
		vars[k] = v
	}
	return snapshot{r.s.Node, r.s.Page, append([]string(nil), r.s.Stack...), vars}
}

func (r *run) restore(s snapshot) {
	r.s.Node, r.s.Page, r.s.Stack, r.s.Vars = s.node, s.page, s.stack, s.vars
}
