package engine

import (
	"errors"
	"strconv"
	"strings"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/phone"
)

// lang is the catalog language the person reads.
func (r *run) lang() string { return r.b.Catalog.Resolve(r.p.Lang) }

// text renders message id for the person. A broken template is an error
// (flows check catches it before it reaches anyone).
func (r *run) text(id string, vars map[string]any) (string, error) {
	lang := r.lang()
	static := r.b.Catalog.Static(lang, id)
	key := lang + "\x00" + id
	if r.e.Screens.FoldAccents {
		key += "\x00fold"
	}
	if static {
		if s, ok := r.b.static.Load(key); ok {
			return s.(string), nil
		}
	}
	data := map[string]any{"Name": r.p.FirstName()}
	for k, v := range vars {
		data[k] = v
	}
	s, _, err := r.b.Catalog.Text(lang, id, data)
	if err != nil {
		return "", err
	}
	s = r.e.Screens.normalize(lang, s)
	if static {
		r.b.static.Store(key, s)
	}
	return s, nil
}

// textOr is text, or def when the message does not exist.
func (r *run) textOr(id, def string) string {
	s, err := r.text(id, nil)
	if err != nil {
		return def
	}
	return s
}

// body is the lines of the current screen, before pagination.
func (r *run) body() ([]string, error) {
	n := r.node()
	var lines []string
	add := func(id string, vars map[string]any) error {
		s, err := r.text(id, vars)
		lines = append(lines, s)
		return err
	}
	var res Result
	list := lister(n)
	if list != "" {
		var err error
		if res, err = r.runAction(n, list, ""); errors.Is(err, ErrUnavailable) {
			r.e.Log.Error("screen unavailable", "node", r.s.Flow+"/"+n.ID, "phone", phone.Mask(r.p.Phone), "err", err)
			s, err := r.text("error.unavailable", nil)
			return []string{s}, err
		} else if err != nil {
			return nil, err
		}
	}
	head := n.Text
	if n.Empty != "" && len(res.Items) == 0 && len(res.Vars) == 0 && list != "" {
		head = n.Empty
	}
	if err := add(head, res.Vars); err != nil {
		return nil, err
	}
	if head != n.Empty && n.Item != "" {
		for _, it := range res.Items {
			if err := add(n.Item, it); err != nil {
				return nil, err
			}
		}
	}
	if head == n.Empty && n.Empty != "" {
		return lines, nil // nothing shown, nothing to offer (no "send by SMS" of an empty list)
	}
	for i, o := range n.Options {
		s, err := r.text(o.Label, nil)
		if err != nil {
			return nil, err
		}
		lines = append(lines, strconv.Itoa(i+1)+" "+s)
	}
	return lines, nil
}

// lister is the action whose values and items a screen shows: a page's
// action, or an input's show.
func lister(n *flow.Node) string {
	switch n.Type {
	case flow.Page:
		return n.Action
	case flow.Input:
		return n.Show
	}
	return ""
}

// options are the choices the current screen offers: a page's options only
// come with its content, not with its empty text.
func (r *run) options() ([]flow.Option, error) {
	n := r.node()
	if n.Type != flow.Page || n.Empty == "" || n.Action == "" || len(n.Options) == 0 {
		return n.Options, nil
	}
	res, err := r.act(n, "")
	if err != nil || (len(res.Items) == 0 && len(res.Vars) == 0) {
		return nil, err
	}
	return n.Options, nil
}

// pages is the current screen split to fit.
// A hop that turns a page ("98") renders the screen once: the pages are
// kept for the node they were cut for, until the next input.
func (r *run) pages() ([]string, error) {
	if r.paged != nil && r.pagedNode == r.s.Node {
		return r.paged, nil
	}
	pages, err := r.cut()
	r.paged, r.pagedNode = pages, r.s.Node
	return pages, err
}

func (r *run) cut() ([]string, error) {
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	if r.node().Type == flow.End {
		return []string{strings.Join(body, "\n")}, nil
	}
	home := r.s.Node == r.flow().Start && len(r.s.Stack) == 0
	back := r.textOr("nav.back", "0") + "  " + r.textOr("nav.main", "00")
	more := r.textOr("nav.more", "98")
	return r.e.Screens.paginate(body, func(hasMore bool) string {
		switch {
		case hasMore && home:
			return more
		case hasMore:
			return more + "  " + back
		case home:
			return ""
		}
		return back
	}), nil
}

// reply renders the page the session stands on, with the notice (a short
// error or result line) on top. Pages are cut without the notice, so that
// a notice never moves what page 2 shows; a notice that does not fit on a
// full page is left out rather than cutting the page.
func (r *run) reply() (Reply, error) {
	pages, err := r.pages()
	if err != nil {
		return Reply{}, err
	}
	if r.s.Page >= len(pages) {
		r.s.Page = len(pages) - 1
	}
	text := pages[r.s.Page]
	if r.notice != "" {
		notice, err := r.text(r.notice, r.noticeVars)
		if err != nil {
			return Reply{}, err
		}
		if with := notice + "\n" + text; r.e.Screens.Limits.Fits(with) {
			text = with
		}
	}
	return Reply{Text: text, End: r.node().Type == flow.End, Lang: r.lang(), Node: r.s.Flow + "/" + r.s.Node}, nil
}

// Unregistered is the closing screen for a number nobody registered: in
// Spanish, with a short Quechua line when it fits.
func (e *Engine) Unregistered() Reply {
	cat := e.Library.Current().Catalog
	es, _, _ := cat.Text(catalog.Source, "unregistered", nil)
	text := e.Screens.normalize("es", es)
	if qu, fell, err := cat.Text("qu", "unregistered", nil); err == nil && !fell {
		if both := text + "\n" + e.Screens.normalize("qu", qu); e.Screens.Limits.Fits(both) {
			text = both
		}
	}
	return Reply{Text: text, End: true, Lang: catalog.Source, Node: "unregistered"}
}

// Busy is the closing screen when storage does not answer. It needs
// nothing but memory.
func (e *Engine) Busy() Reply {
	s, _, err := e.Library.Current().Catalog.Text(catalog.Source, "busy", nil)
	if err != nil {
		s = "Willay esta ocupado. Intente de nuevo en unos minutos."
	}
	return Reply{Text: e.Screens.normalize("es", s), End: true, Lang: catalog.Source, Node: "busy"}
}
