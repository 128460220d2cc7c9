package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/flow"
)

// The coach's broadcast menu: choose a template, type what it needs (date,
// time), pick the group, see who and what, confirm. What is chosen so far
// lives in the session's variables.
const (
	bcTemplate = "bc.tpl"
	bcDate     = "bc.date" // YYYY-MM-DD
	bcTime     = "bc.time" // HH:MM
	bcGroup    = "bc.group"
	bcID       = "bc.id"   // the broadcast just made
	bcPick     = "bc.pick" // the broadcast chosen in "my broadcasts"
)

// mineShown is how many of their latest broadcasts a coach sees.
const mineShown = 5

func broadcastActions() map[string]Action {
	listed := map[string]any{"N": 1, "When": "27/11 10:02", "What": "Reunion de grupo", "Status": "por salir", "People": 38}
	return map[string]Action{
		"broadcast.template": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "limit", "nogroup"}}, Run: bcChooseTemplate},
		"broadcast.next":     {ActionSpec: flow.ActionSpec{Outcomes: []string{"date", "time", "group", "ready"}}, Run: bcNext},
		"broadcast.date":     {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "bad"}, Input: true}, Run: bcSetDate},
		"broadcast.time":     {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "bad"}, Input: true}, Run: bcSetTime},
		"broadcast.groups": {Run: bcGroups, Sample: Result{Items: []map[string]any{
			{"N": 1, "Group": "HW-HVCA-01", "Size": 38}, {"N": 2, "Group": "NJ-UCAY-02", "Size": 12}}}},
		"broadcast.group": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "bad"}, Input: true}, Run: bcSetGroup},
		"broadcast.preview": {Run: bcPreview, Sample: Result{Vars: map[string]any{"People": 38, "Group": "HW-HVCA-01",
			"Langs": "20 es, 18 qu", "Text": "Willay: Reunion del grupo HW-HVCA-01 el 28/11 a las 09:00. Le espera su yachachiq Maximiliano."}}},
		"broadcast.send": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "limit", "empty"}}, SideEffect: true, Run: bcSend},
		"broadcast.sent": {Run: bcSent, Sample: Result{Vars: map[string]any{"Count": 38, "At": "28/11 07:00"}}},
		"broadcast.mine": {Run: bcMine, Sample: Result{Items: []map[string]any{listed}}},
		"broadcast.pick": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "bad"}, Input: true}, Run: bcPickOne},
		"broadcast.one": {Run: bcOne, Sample: Result{Vars: map[string]any{"When": "27/11 10:02", "What": "Reunion de grupo",
			"Status": "enviado", "People": 38, "Sent": 36, "Failed": 2, "Pending": 0}}},
		"broadcast.cancel": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "late"}}, SideEffect: true, Run: bcCancel},
	}
}

var errNoBroadcasts = errors.New("broadcast menu: no broadcast service")

// bcChooseTemplate starts a broadcast (args template), unless the coach
// has reached today's limit or leads no group.
func bcChooseTemplate(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	t, ok := broadcast.TemplateByID(c.Args["template"])
	if !ok {
		return Result{}, fmt.Errorf("unknown template %q", c.Args["template"])
	}
	if len(c.Person.Groups) == 0 {
		return Result{Outcome: "nogroup"}, nil
	}
	n, limit, err := c.Broadcasts.SentToday(ctx, c.Person.Phone)
	if err != nil {
		return Result{}, err
	}
	if n >= limit {
		return Result{Outcome: "limit"}, nil
	}
	for _, k := range []string{bcTemplate, bcDate, bcTime, bcGroup, bcID} {
		delete(c.Sess.Vars, k)
	}
	c.Sess.Vars[bcTemplate] = t.ID
	if !t.Date {
		c.Sess.Vars[bcDate] = c.Now.AddDate(0, 0, 1).Format("2006-01-02")
	}
	if len(c.Person.Groups) == 1 {
		c.Sess.Vars[bcGroup] = c.Person.Groups[0]
	}
	return Result{Outcome: "ok"}, nil
}

// bcNext asks for what the template still needs.
func bcNext(_ context.Context, c *Call) (Result, error) {
	t, _ := broadcast.TemplateByID(c.Sess.Vars[bcTemplate])
	switch {
	case c.Sess.Vars[bcDate] == "":
		return Result{Outcome: "date"}, nil
	case t.Time && c.Sess.Vars[bcTime] == "":
		return Result{Outcome: "time"}, nil
	case c.Sess.Vars[bcGroup] == "":
		return Result{Outcome: "group"}, nil
	}
	return Result{Outcome: "ready"}, nil
}

func bcSetDate(_ context.Context, c *Call) (Result, error) {
	d, ok := broadcast.ParseDay(c.Input, c.Now)
	if !ok {
		return Result{Outcome: "bad", Notice: "broadcast.date.bad", NoticeVars: map[string]any{"Days": int(broadcast.Window.Hours() / 24)}}, nil
	}
	c.Sess.Vars[bcDate] = d.Format("2006-01-02")
	delete(c.Sess.Vars, bcTime) // a time checked against another day
	return Result{Outcome: "ok"}, nil
}

func bcSetTime(_ context.Context, c *Call) (Result, error) {
	hm, ok := broadcast.ParseClock(c.Input)
	if !ok {
		return Result{Outcome: "bad", Notice: "error.hhmm"}, nil
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", c.Sess.Vars[bcDate]+" "+hm, c.Now.Location())
	if err != nil || !at.After(c.Now) {
		return Result{Outcome: "bad", Notice: "broadcast.time.past"}, nil
	}
	c.Sess.Vars[bcTime] = hm
	return Result{Outcome: "ok"}, nil
}

// bcGroups lists the coach's groups with their sizes.
func bcGroups(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	groups := slices.Sorted(slices.Values(c.Person.Groups))
	items := make([]map[string]any, 0, len(groups))
	for i, g := range groups {
		if i == 9 {
			break // one digit answers
		}
		phones, err := c.Broadcasts.Store.Members(ctx, []string{g})
		if err != nil {
			return Result{}, err
		}
		items = append(items, map[string]any{"N": i + 1, "Group": g, "Size": len(phones)})
	}
	return Result{Items: items}, nil
}

func bcSetGroup(_ context.Context, c *Call) (Result, error) {
	groups := slices.Sorted(slices.Values(c.Person.Groups))
	k, _ := strconv.Atoi(c.Input)
	if k < 1 || k > min(len(groups), 9) {
		return Result{Outcome: "bad", Notice: "error.option"}, nil
	}
	c.Sess.Vars[bcGroup] = groups[k-1]
	return Result{Outcome: "ok"}, nil
}

// draft is the broadcast the session has put together.
func draft(c *Call) *broadcast.Broadcast {
	v := c.Sess.Vars
	return &broadcast.Broadcast{By: c.Person.Phone, ByName: c.Person.Name, ByLang: c.Person.Lang,
		Template: v[bcTemplate], Date: v[bcDate], Time: v[bcTime], Groups: []string{v[bcGroup]}}
}

// owns tells whether the coach leads group g: a session's variables are
// checked again before anything is sent.
func owns(c *Call, g string) bool { return slices.Contains(c.Person.Groups, g) }

// bcPreview shows who will get it, in which languages, and the Spanish text.
func bcPreview(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	b := draft(c)
	if !owns(c, c.Sess.Vars[bcGroup]) {
		return Result{}, nil
	}
	phones, err := c.Broadcasts.Recipients(ctx, b)
	if err != nil || len(phones) == 0 {
		return Result{}, err
	}
	people, err := c.Broadcasts.Store.People(ctx, phones)
	if err != nil {
		return Result{}, err
	}
	byLang := map[string]int{}
	for _, p := range people {
		if p.Lang != "" {
			byLang[c.Broadcasts.Texts.Resolve(p.Lang)]++
		}
	}
	var langs []string
	for _, l := range slices.Sorted(func(yield func(string) bool) {
		for l := range byLang {
			if !yield(l) {
				return
			}
		}
	}) {
		langs = append(langs, fmt.Sprintf("%d %s", byLang[l], l))
	}
	return Result{Vars: map[string]any{"People": len(phones), "Group": b.Groups[0],
		"Langs": strings.Join(langs, ", "), "Text": c.Broadcasts.Text(b, "es")}}, nil
}

// bcSend makes the broadcast. The hop's once key is its ID: a repeated or
// late confirmation makes one broadcast.
func bcSend(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	if c.Sess.Vars[bcID] != "" {
		return Result{Outcome: "ok"}, nil // already made: back and confirm again makes no second one
	}
	b := draft(c)
	if !owns(c, c.Sess.Vars[bcGroup]) || b.Template == "" {
		return Result{Outcome: "empty"}, nil
	}
	b.ID = "u" + c.Once[:min(len(c.Once), 12)]
	_, err := c.Broadcasts.Create(ctx, b)
	switch {
	case errors.Is(err, broadcast.ErrLimit):
		return Result{Outcome: "limit"}, nil
	case errors.Is(err, broadcast.ErrNoRecipients):
		return Result{Outcome: "empty"}, nil
	case err != nil:
		return Result{}, err
	}
	c.Sess.Vars[bcID] = b.ID
	return Result{Outcome: "ok"}, nil
}

// bcSent confirms: how many, and when it leaves (the cancel deadline).
func bcSent(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	b, err := c.Broadcasts.Store.Broadcast(ctx, c.Sess.Vars[bcID])
	if err != nil || b == nil {
		return Result{}, err
	}
	return Result{Vars: map[string]any{"Count": b.Count, "At": clockOrDay(b.At.In(c.Now.Location()), c.Now)}}, nil
}

// clockOrDay is "10:02" today, "28/11 07:00" another day.
func clockOrDay(t, now time.Time) string {
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("02/01 15:04")
}

// mine is the coach's latest broadcasts, as "my broadcasts" numbers them.
func mine(ctx context.Context, c *Call) ([]*broadcast.Broadcast, error) {
	if c.Broadcasts == nil {
		return nil, errNoBroadcasts
	}
	return c.Broadcasts.Mine(ctx, c.Person.Phone, mineShown)
}

func bcMine(ctx context.Context, c *Call) (Result, error) {
	bs, err := mine(ctx, c)
	if err != nil {
		return Result{}, err
	}
	items := make([]map[string]any, 0, len(bs))
	for i, b := range bs {
		items = append(items, map[string]any{"N": i + 1, "When": b.Created.In(c.Now.Location()).Format("02/01 15:04"),
			"What": c.T("broadcast.tpl." + b.Template), "Status": c.T("broadcast.status." + string(b.Status)), "People": b.Count})
	}
	return Result{Items: items}, nil
}

func bcPickOne(ctx context.Context, c *Call) (Result, error) {
	bs, err := mine(ctx, c)
	if err != nil {
		return Result{}, err
	}
	k, _ := strconv.Atoi(c.Input)
	if k < 1 || k > len(bs) {
		return Result{Outcome: "bad", Notice: "error.option"}, nil
	}
	c.Sess.Vars[bcPick] = bs[k-1].ID
	return Result{Outcome: "ok"}, nil
}

// bcOne shows where a broadcast stands.
func bcOne(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	r, err := c.Broadcasts.Report(ctx, c.Sess.Vars[bcPick])
	if errors.Is(err, broadcast.ErrNotFound) || (err == nil && r.By != c.Person.Phone) {
		return Result{}, nil
	}
	if err != nil {
		return Result{}, err
	}
	failed := 0
	if r.Status == broadcast.Done || r.Status == broadcast.Queued {
		failed = r.Count - r.Reached - r.Pending
	}
	return Result{Vars: map[string]any{"When": r.Created.In(c.Now.Location()).Format("02/01 15:04"),
		"What": c.T("broadcast.tpl." + r.Template), "Status": c.T("broadcast.status." + string(r.Status)),
		"People": r.Count, "Sent": r.Reached, "Failed": failed, "Pending": r.Pending}}, nil
}

func bcCancel(ctx context.Context, c *Call) (Result, error) {
	if c.Broadcasts == nil {
		return Result{}, errNoBroadcasts
	}
	err := c.Broadcasts.Cancel(ctx, c.Sess.Vars[bcPick], c.Person.Phone)
	switch {
	case err == nil:
		return Result{Outcome: "ok"}, nil
	case errors.Is(err, broadcast.ErrStarted), errors.Is(err, broadcast.ErrNotFound), errors.Is(err, broadcast.ErrNotYours):
		return Result{Outcome: "late", Notice: "broadcast.late"}, nil
	}
	return Result{}, err
}
