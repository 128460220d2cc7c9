package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/keyword"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/program"
)

// Subscriptions records who asked for no more messages.
type Subscriptions interface {
	SetOptOut(ctx context.Context, phone string, out bool) error
}

// SMSReply is the answer to an incoming SMS.
type SMSReply struct {
	Text string
	Lang string
}

// ReplySMS answers an incoming SMS from a phone, in the person's language. The
// same actions as USSD do the work, so a PIN typed by SMS counts toward the
// same lockout. msgID is the provider's ID of the incoming message: with
// the phone, it names the side effects (a PIN attempt, a call-back), so a
// provider's retry applies nothing twice and another phone's message with
// the same ID shares nothing.
func (e *Engine) ReplySMS(ctx context.Context, from, body, msgID string, subs Subscriptions) (SMSReply, error) {
	_, p, err := e.Store.Load(ctx, "", from)
	if err != nil {
		return SMSReply{}, fmt.Errorf("load %s: %w", msgID, err)
	}
	b := e.Library.Current()
	cmd := keyword.Command{}
	if b.Keywords != nil {
		cmd = b.Keywords.Match(body)
	}
	c := e.smsCall(b, p, "sms:"+from+":"+msgID)
	switch cmd.Name {
	case keyword.Stop, keyword.Start:
		if err := subs.SetOptOut(ctx, from, cmd.Name == keyword.Stop); err != nil {
			return SMSReply{}, err
		}
		return c.reply("sms."+cmd.Name, nil), nil
	}
	if p.Role == program.Unknown {
		return SMSReply{Text: e.smsText(b, catalog.Source, "sms.unregistered", nil), Lang: catalog.Source}, nil
	}
	return e.command(ctx, b, c, cmd)
}

// Notice renders message id for whoever has phone (in Spanish when that
// cannot be read): for SMS that answer no request, such as the loop guard's.
func (e *Engine) Notice(ctx context.Context, phone, id string) string {
	lang := catalog.Source
	if _, p, err := e.Store.Load(ctx, "", phone); err == nil {
		lang = p.Lang
	}
	return e.smsText(e.Library.Current(), lang, id, nil)
}

// smsCall is a Call outside any USSD session.
func (e *Engine) smsCall(b *Bundle, p *program.Person, once string) *smsCall {
	c := &Call{Person: p, Sess: &Session{Vars: map[string]string{}}, Now: e.Now().In(e.LocationOf(p)), Once: once,
		Store: e.Store, PIN: PINHasher(e.PINKey, p.Phone), SMS: e.Config.SMS}
	c.T = func(id string) string { return e.smsText(b, p.Lang, id, nil) }
	c.TIn = func(lang, id string, vars map[string]any) string { return e.smsText(b, lang, id, vars) }
	return &smsCall{Call: c, e: e, b: b}
}

type smsCall struct {
	*Call
	e *Engine
	b *Bundle
}

func (c *smsCall) reply(id string, vars map[string]any) SMSReply {
	return SMSReply{Text: c.e.smsText(c.b, c.Person.Lang, id, vars), Lang: c.b.Catalog.Resolve(c.Person.Lang)}
}

// smsText renders a text for an SMS: no pages, just GSM-7 normalization.
func (e *Engine) smsText(b *Bundle, lang, id string, vars map[string]any) string {
	lang = b.Catalog.Resolve(lang)
	s, _, err := b.Catalog.Text(lang, id, vars)
	if err != nil {
		e.Log.Error("sms text", "id", id, "err", err)
		return ""
	}
	return e.Screens.normalize(lang, s)
}

// command runs what a registered person asked for.
func (e *Engine) command(ctx context.Context, b *Bundle, c *smsCall, cmd keyword.Command) (SMSReply, error) {
	switch cmd.Name {
	case keyword.Balance:
		return e.balance(ctx, c, cmd.Arg)
	case keyword.Visits, keyword.Payments:
		text, err := SMSText(ctx, c.Call, cmd.Name)
		return SMSReply{Text: text, Lang: b.Catalog.Resolve(c.Person.Lang)}, err
	case keyword.Callback:
		res, err := callbackRequest(ctx, c.Call)
		if err != nil {
			return SMSReply{}, err
		}
		info, _ := coachInfo(ctx, c.Call)
		return c.reply(map[string]string{"ok": "callback.done", "already": "callback.already", "nocoach": "callback.nocoach"}[res.Outcome], info.Vars), nil
	case keyword.Language:
		if cmd.Arg == "" {
			return c.reply("sms.language", nil), nil
		}
		c.Args = map[string]string{"lang": cmd.Arg}
		if _, err := languageSet(ctx, c.Call); err != nil {
			return SMSReply{}, err
		}
		return c.reply("language.done", nil), nil
	}
	return c.reply("sms.help", map[string]any{"Keywords": e.keywordList(b, c.Person.Lang)}), nil
}

// balance checks the PIN sent with the keyword against the same counter
// and lock as USSD, then answers with the savings.
func (e *Engine) balance(ctx context.Context, c *smsCall, pin string) (SMSReply, error) {
	switch {
	case !c.Person.PINSet:
		return c.reply("sms.pin.unset", nil), nil
	case c.Person.LockedFor > 0:
		lock, _ := pinLock(ctx, c.Call)
		return c.reply("pin.locked", lock.Vars), nil
	case pin == "":
		return c.reply("sms.pin.needed", nil), nil
	}
	c.Input = pin
	res, err := pinVerify(ctx, c.Call)
	if err != nil {
		return SMSReply{}, err
	}
	switch res.Outcome {
	case "wrong":
		return c.reply(res.Notice, res.NoticeVars), nil
	case "locked":
		lock, _ := pinLock(ctx, c.Call)
		return c.reply("pin.locked", lock.Vars), nil
	}
	sav, err := savingsBalance(ctx, c.Call)
	if errors.Is(err, ErrUnavailable) {
		c.e.Log.Error("savings unavailable", "phone", phone.Mask(c.Person.Phone), "err", err)
		return c.reply("error.unavailable", nil), nil
	}
	if err != nil || len(sav.Vars) == 0 {
		return c.reply("savings.none", nil), err
	}
	return c.reply("savings.balance", sav.Vars), nil
}

// keywordList is the help line: the first keyword of each command in the
// person's language, so that the help never disagrees with flows/sms.yaml.
func (e *Engine) keywordList(b *Bundle, lang string) string {
	if b.Keywords == nil {
		return ""
	}
	lang = catalog.Macrolanguage(b.Catalog.Resolve(lang))
	var words []string
	for _, name := range []string{keyword.Balance, keyword.Visits, keyword.Payments, keyword.Callback, keyword.Language, keyword.Stop} {
		if kws := b.Keywords.Keywords(name, lang); len(kws) > 0 {
			words = append(words, kws[0])
		}
	}
	return strings.Join(words, ", ")
}

// ReminderText renders a reminder of event e for person p in their
// language, with the event's date, time, place and amount.
func (e *Engine) ReminderText(p *program.Person, id string, ev program.Event) string {
	b := e.Library.Current()
	loc := e.LocationOf(p)
	now := e.Now().In(loc)
	c := e.smsCall(b, p, "")
	at, _ := ev.At(loc)
	vars := map[string]any{"Name": p.FirstName(), "Date": program.Day(at, now), "Time": at.Format("15:04"),
		"Place": ev.Place, "Topic": ev.Topic, "Program": programName(c.Call, ev.Program), "Amount": program.Money(ev.Cents)}
	return e.smsText(b, p.Lang, id, vars)
}

// SMSText renders message id in lang (falling back as the catalog does)
// for an SMS, with the current texts.
func (e *Engine) SMSText(lang, id string, vars map[string]any) string {
	return e.smsText(e.Library.Current(), lang, id, vars)
}

// Resolve is the catalog language a person's language reads in.
func (e *Engine) Resolve(lang string) string { return e.Library.Current().Catalog.Resolve(lang) }
