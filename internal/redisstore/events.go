package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/willay-pe/willay/internal/program"
)

// Events are stored short, so that a participant's hash stays in Redis's
// compact listpack encoding, which holds only values of up to 64 bytes: a
// single longer value turns the whole hash into a hashtable of about twice
// the memory. So the value is
//
//	kind \x1f YYYYMMDD \x1f HHMM \x1f placeID \x1f topicID \x1f program \x1f cents
//
// with a one-letter kind, and places and topics, which repeat across
// thousands of families ("Agencia Banco de la Nación Yauli"), are stored once
// under t:{id}, where id names the text by its hash. Because an id always
// means the same text, every instance may cache texts forever.

var kindCode = map[string]string{program.Visit: "v", program.Training: "t", program.Meeting: "m", program.Transfer: "p"}

var codeKind = func() map[string]string {
	m := map[string]string{}
	for k, c := range kindCode {
		m[c] = k
	}
	return m
}()

// textID names a text by its content: 8 bytes of SHA-256, base64url.
func textID(s string) string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

func encodeEvent(e program.Event) string {
	cents := ""
	if e.Cents != 0 {
		cents = strconv.FormatInt(e.Cents, 10)
	}
	return strings.Join([]string{kindCode[e.Kind], strings.ReplaceAll(e.Date, "-", ""), strings.ReplaceAll(e.Time, ":", ""),
		textID(e.Place), textID(e.Topic), e.Program, cents}, eventSep)
}

// decodeEvent reads a stored event; Place and Topic hold text ids until
// resolve replaces them.
func decodeEvent(id, v string) (program.Event, bool) {
	f := strings.Split(v, eventSep)
	if len(f) != 7 || len(f[1]) != 8 || (f[2] != "" && len(f[2]) != 4) || codeKind[f[0]] == "" {
		return program.Event{}, false
	}
	e := program.Event{ID: id, Kind: codeKind[f[0]], Date: f[1][:4] + "-" + f[1][4:6] + "-" + f[1][6:], Place: f[3], Topic: f[4], Program: f[5]}
	if f[2] != "" {
		e.Time = f[2][:2] + ":" + f[2][2:]
	}
	e.Cents, _ = strconv.ParseInt(f[6], 10, 64)
	return e, true
}

// events decodes the e:{id} fields of a hash.
func events(f map[string]string, group string) []program.Event {
	var out []program.Event
	for k, v := range f {
		if !isEventField(k) {
			continue
		}
		if e, ok := decodeEvent(k[2:], v); ok {
			e.Group = group
			out = append(out, e)
		}
	}
	return out
}

// resolve replaces text ids with texts: from the cache, or with one MGET
// for those it has not seen yet. Texts are gathered in a map of this call's
// own, never read back from the cache: another reader may fill the cache
// meanwhile and push out what this one found there.
func (s *Store) resolve(ctx context.Context, evs []program.Event) error {
	found := map[string]string{}
	var missing []string
	for _, e := range evs {
		for _, id := range []string{e.Place, e.Topic} {
			if _, done := found[id]; done || id == "" || slices.Contains(missing, id) {
				continue
			}
			if t, ok := s.texts.get(id); ok {
				found[id] = t
			} else {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > 0 {
		keys := make([]string, len(missing))
		for i, id := range missing {
			keys[i] = s.keys.Text(id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		for i, v := range vals {
			if t, ok := v.(string); ok {
				found[missing[i]] = t
				s.texts.put(missing[i], t)
			}
		}
	}
	for i := range evs {
		evs[i].Place = found[evs[i].Place]
		evs[i].Topic = found[evs[i].Topic]
	}
	return nil
}
