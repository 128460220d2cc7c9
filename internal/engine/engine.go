package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/program"
)

// Config is everything the engine depends on.
type Config struct {
	Store    Store
	Library  *Library
	Actions  map[string]Action
	Screens  Screens
	Location *time.Location // the participants' timezone, unless the reminder rules name their region's
	Now      func() time.Time
	PINKey   []byte
	Log      *slog.Logger
	SMS      Messenger // may be nil: actions that send SMS then fail
	// SMSPerDay is how many "send me this by SMS" a phone may get a day
	// (0: no limit).
	SMSPerDay int
	// Broadcasts serves the coach's broadcast menu; nil: its actions fail.
	Broadcasts *broadcast.Service
}

// Engine answers hops. It is safe for concurrent use: all state is in the
// session, and the session is in the Store.
type Engine struct {
	Config
	macs *sync.Pool // keyed hashes of inputs, reused: one per input per hop
}

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
	key := c.PINKey
	return &Engine{Config: c, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// MaxInputs bounds how much of a path is read: no menu is that deep, and a
// hostile gateway must not make one hop replay thousands of inputs.
const MaxInputs = 64

// ErrTooManyInputs reports a path longer than any real session.
var ErrTooManyInputs = errors.New("too many inputs in one session")

// Handle answers one hop. The first hop of a dial starts at the main menu;
// repeated and late hops get the session's last reply and change nothing;
// a session lost from storage, or a path that no longer matches it, is
// rebuilt from the path.
func (e *Engine) Handle(ctx context.Context, hop Hop) (Reply, error) {
	if len(hop.Inputs) > MaxInputs || hop.Seq > MaxInputs {
		return Reply{}, ErrTooManyInputs
	}
	sess, person, err := e.Store.Load(ctx, hop.SessionID, hop.Phone)
	if err != nil {
		return Reply{}, fmt.Errorf("load session: %w", err)
	}
	if person.Role == program.Unknown {
		return e.Unregistered(), nil
	}
	if hop.first() {
		// A new dial that reuses a session ID must not get the last screen
		// back (it may be the balance): it starts at the main menu. The
		// gateway's duplicate of the first request gets the menu again.
		sess = nil
	}
	p := e.position(hop, sess)
	if sess != nil && (p.answered || sess.End) {
		return Reply{Text: sess.Reply, End: sess.End, Lang: e.Library.Current().Catalog.Resolve(person.Lang), Node: sess.Flow + "/" + sess.Node}, nil
	}
	if p.rebuild {
		sess = nil
	}
	r, restarted, err := e.start(ctx, sess, person, hop, p.lost)
	if err != nil {
		return Reply{}, err
	}
	if !restarted {
		if err := r.advance(p); err != nil {
			return Reply{}, err
		}
	}
	reply, err := r.reply()
	if err != nil {
		return Reply{}, err
	}
	r.s.Ins, r.s.Reply, r.s.End = p.keys, reply.Text, reply.End
	if err := e.Store.Save(ctx, r.s); err != nil {
		return Reply{}, fmt.Errorf("save session: %w", err)
	}
	return reply, nil
}

// position is where a hop stands against its session.
type position struct {
	keys     []string // one key per input of the hop's path
	inputs   []string // the raw inputs, "" where a gateway did not resend them
	from     int      // first input not yet applied
	answered bool     // the hop is a repeat, or late: its answer was given
	rebuild  bool     // the path is not the session's: replay it from the start
	lost     bool     // the session is gone and the gateway did not send the path
}

func (e *Engine) position(hop Hop, sess *Session) position {
	var prev []string
	if sess != nil {
		prev = sess.Ins
	}
	if hop.Seq > 0 { // only the latest input came
		n := len(prev)
		if hop.Seq <= n {
			return position{keys: prev, answered: true}
		}
		if sess == nil && hop.Seq > 1 {
			return position{keys: make([]string, hop.Seq), lost: true}
		}
		inputs := make([]string, hop.Seq)
		keys := append(append([]string(nil), prev...), make([]string, hop.Seq-n)...)
		if len(hop.Inputs) > 0 {
			inputs[hop.Seq-1] = hop.Inputs[len(hop.Inputs)-1]
			keys[hop.Seq-1] = e.inputKey(hop.scope(), inputs[hop.Seq-1])
		}
		return position{keys: keys, inputs: inputs, from: hop.Seq - 1}
	}
	keys := make([]string, len(hop.Inputs))
	scope := hop.scope()
	for i, in := range hop.Inputs {
		keys[i] = e.inputKey(scope, in)
	}
	p := position{keys: keys, inputs: hop.Inputs}
	switch {
	case sess == nil:
		p.rebuild = true
	case isPrefix(keys, prev):
		p.answered = true
	case isPrefix(prev, keys):
		p.from = len(prev)
	default:
		p.rebuild = true
	}
	return p
}

// isPrefix tells whether a is b or its start.
func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// first tells whether the hop opens a dial: nothing typed yet.
func (h Hop) first() bool { return len(h.Inputs) == 0 && h.Seq == 0 }

// scope is whose a hop is: the gateway, the phone and the gateway's
// session. Every key of an input or a side effect is built within it, so
// that a session ID reused by another phone (or gateway) names another
// effect, never the first phone's result.
func (h Hop) scope() string {
	return h.Gateway + "\x00" + h.Phone + "\x00" + h.SessionID
}

// inputKey names what was typed without revealing it: keyed with the PIN
// key, so that a copy of Redis does not give away 4-digit PINs.
func (e *Engine) inputKey(scope, in string) string {
	m := e.macs.Get().(hash.Hash)
	defer e.macs.Put(m)
	m.Reset()
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(strings.TrimSpace(in)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:8])
}

// start picks up the session on the flows version it began on, or begins
// one on the current version. A session whose version is gone, or that is
// lost when the gateway sends only the latest input, restarts at the main
// menu with a line saying so, and nothing typed is applied.
func (e *Engine) start(ctx context.Context, sess *Session, p *program.Person, hop Hop, lost bool) (*run, bool, error) {
	r := &run{e: e, ctx: ctx, p: p, hop: hop, now: e.Now().In(e.LocationOf(p))}
	if sess != nil {
		b, err := e.Library.Get(ctx, sess.Version)
		if err != nil && !errors.Is(err, ErrVersionGone) {
			return nil, false, err // storage did not answer: busy, and the session stays as it is
		}
		if err == nil && b.Flows.Node(sess.Flow, sess.Node) != nil {
			r.b, r.s = b, sess
			if r.s.Vars == nil {
				r.s.Vars = map[string]string{}
			}
			return r, false, nil
		}
		e.Log.Warn("session restarted: its flows version is gone", "session", hop.SessionID, "version", sess.Version, "err", err)
	}
	r.b = e.Library.Current()
	name := "participant"
	if p.Role == program.Coach {
		name = "coach"
	}
	f := r.b.Flows.Flows[name]
	r.s = &Session{ID: hop.SessionID, Phone: hop.Phone, Version: r.b.Version(), Flow: name, Vars: map[string]string{}, Started: r.now}
	if err := r.enter(f.Start); err != nil {
		return nil, false, err
	}
	if sess != nil || lost {
		r.notice = "session.restarted"
		return r, true, nil
	}
	return r, false, nil
}

// LocationOf is a person's timezone: their region's when the reminder rules
// name one, else the service's.
func (e *Engine) LocationOf(p *program.Person) *time.Location {
	if e.Library == nil {
		return e.Location
	}
	return e.Library.Current().Reminders.Location(p.Region, e.Location)
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
	path       []string // keys of the inputs up to the one being applied
	paged      []string // the current screen's pages, for pagedNode
	pagedNode  string
}

// errReplayStop stops a replay before an input with side effects.
var errReplayStop = errors.New("replay stops before a side effect")

// advance applies the inputs this hop brings. A rebuilt session replays
// every input but the last without side effects; the last is what the
// person just typed. A replay that stops before a side effect leaves the
// rest unapplied, and the screen says so (session.retype): the person is
// asked again there, never silently.
func (r *run) advance(p position) error {
	n := len(p.keys)
	if p.rebuild {
		r.replaying = true
		for i := 0; i < n-1; i++ {
			if err := r.input(p, i); err == errReplayStop {
				r.notice, r.noticeVars = "session.retype", nil
				return nil
			} else if err != nil {
				return err
			}
		}
		r.replaying = false
		p.from = max(n-1, 0)
	}
	for i := p.from; i < n; i++ {
		if err := r.input(p, i); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) node() *flow.Node { return r.b.Flows.Node(r.s.Flow, r.s.Node) }

func (r *run) flow() *flow.Flow { return r.b.Flows.Flows[r.s.Flow] }

// input applies input i of the hop's path. The session is unchanged when
// a replay stops.
func (r *run) input(p position, i int) error {
	in := strings.TrimSpace(p.inputs[i])
	r.notice, r.noticeVars, r.path = "", nil, p.keys[:i+1]
	r.paged = nil // an input may change what the screen shows
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
		opts, err := r.options()
		if err != nil {
			return err
		}
		k, err := strconv.Atoi(in)
		if err != nil || k < 1 || k > len(opts) || len(in) > 1 {
			r.notice = "error.option"
			return nil
		}
		r.s.Stack = append(r.s.Stack, n.ID)
		return r.enter(opts[k-1].Next)
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
			if id == r.flow().Start {
				r.s.Stack = nil // the main menu: "back" has nowhere to go
			}
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
func (r *run) act(n *flow.Node, in string) (Result, error) { return r.runAction(n, n.Action, in) }

// runAction runs action name for node n.
func (r *run) runAction(n *flow.Node, name, in string) (Result, error) {
	a, ok := r.e.Actions[name]
	if !ok {
		return Result{}, fmt.Errorf("flow %s node %s: unknown action %q", r.s.Flow, n.ID, name)
	}
	if a.SideEffect && r.replaying {
		return Result{}, errReplayStop
	}
	res, err := a.Run(r.ctx, r.call(n, in))
	if err != nil {
		return Result{}, fmt.Errorf("action %s: %w", name, err)
	}
	if res.Notice != "" {
		r.notice, r.noticeVars = res.Notice, res.NoticeVars
	}
	return res, nil
}

func (r *run) call(n *flow.Node, in string) *Call {
	return &Call{
		Person: r.p, Sess: r.s, Input: in, Args: n.Args, Now: r.now, Store: r.e.Store,
		Once: r.e.inputKey(r.hop.scope(), strings.Join(r.path, "*")+"\x00"+n.ID),
		T:    func(id string) string { return r.textOr(id, "") },
		TIn: func(lang, id string, vars map[string]any) string {
			s, _, _ := r.b.Catalog.Text(lang, id, vars)
			return r.e.Screens.normalize(r.b.Catalog.Resolve(lang), s)
		},
		SMS: r.e.SMS, SMSPerDay: r.e.SMSPerDay, Broadcasts: r.e.Broadcasts,
		PIN: PINHasher(r.e.PINKey, r.p.Phone),
	}
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
