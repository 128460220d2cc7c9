package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/testredis"
)

var lima, _ = time.LoadLocation("America/Lima")

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, lima)

func newStore(t *testing.T) (*Store, *testredis.Redis) { return newStoreB(t) }

func newStoreB(t testing.TB) (*Store, *testredis.Redis) {
	r := testredis.New(t)
	return New(r.Client, r.Prefix, DefaultOptions(), func() time.Time { return now }), r
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// files are a small program export: the same person written three ways.
var files = []struct {
	kind importer.Kind
	body string
}{
	{importer.Coaches, "phone,name,language,group\n911111111,Maximiliano Ccori,qu,G1\n911111111,Maximiliano Ccori,qu,G2\n"},
	{importer.Participants, "phone,name,language,community,district,region,group,coach_phone\n" +
		"987654321,Rosa Quispe,es,Santa Rosa,Yauli,Huancavelica,G1,911111111\n" +
		"+51 987 654 322,Juana Mamani,quz,Ccasapata,Yauli,Huancavelica,G1,911111111\n"},
	{importer.Savings, "phone,balance,as_of\n51987654321,350.00,2026-11-20\n"},
	{importer.Visits, "phone,group,kind,starts_at,place,topic\n987654321,,visit,2026-11-28 09:00,Su casa,Biohuerto\n,G1,meeting,2026-12-03 15:00,Local comunal,Ahorro\n"},
	{importer.Transfers, "phone,group,program,date,amount,place\n987654321,,juntos,2026-12-15,200.00,Banco de la Nacion\n"},
}

func importAll(t *testing.T, s *Store, dir string) {
	t.Helper()
	for _, f := range files {
		path := write(t, dir, string(f.kind)+".csv", f.body)
		if _, err := importer.Import(context.Background(), f.kind, path, s, importer.Options{Location: lima}); err != nil {
			t.Fatalf("%s: %v", f.kind, err)
		}
	}
}

// dump renders every key of the test's prefix with its type and content.
func dump(t *testing.T, r *testredis.Redis) string {
	t.Helper()
	ctx := context.Background()
	keys := r.Keys(t)
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		full := r.Prefix + k
		typ := r.Client.Type(ctx, full).Val()
		var v any
		switch typ {
		case "hash":
			v = r.Client.HGetAll(ctx, full).Val()
		case "set":
			m := r.Client.SMembers(ctx, full).Val()
			sort.Strings(m)
			v = m
		default:
			v = r.Client.Dump(ctx, full).Val()
		}
		fmt.Fprintf(&b, "%s %s %v\n", k, typ, v)
	}
	return b.String()
}

func TestImportIsIdempotentAndLoadsBack(t *testing.T) {
	s, r := newStore(t)
	dir := t.TempDir()
	importAll(t, s, dir)
	first := dump(t, r)
	importAll(t, s, dir)
	if again := dump(t, r); again != first {
		t.Errorf("importing the same files twice changed Redis:\n%s\n---\n%s", first, again)
	}

	_, p, err := s.Load(context.Background(), "no-session", "+51987654321")
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != program.Participant || p.Name != "Rosa Quispe" || p.CoachName != "Maximiliano Ccori" || p.Group != "G1" {
		t.Errorf("participant: %+v", p)
	}
	if p.Savings == nil || p.Savings.Cents != 35000 || p.Savings.AsOf != "2026-11-20" {
		t.Errorf("savings: %+v", p.Savings)
	}
	kinds := map[string]int{}
	for _, e := range p.Events {
		kinds[e.Kind]++
	}
	if kinds["visit"] != 1 || kinds["meeting"] != 1 || kinds["transfer"] != 1 {
		t.Errorf("events (own and group's): %v", kinds)
	}
	_, c, _ := s.Load(context.Background(), "x", "+51911111111")
	sort.Strings(c.Groups)
	if c.Role != program.Coach || strings.Join(c.Groups, ",") != "G1,G2" {
		t.Errorf("coach: %+v", c)
	}
}

func TestParticipantChangingGroupLeavesTheOld(t *testing.T) {
	s, r := newStore(t)
	ctx := context.Background()
	row := importer.ParticipantRow{Phone: "+51987654321", Name: "Rosa", Language: "es", Group: "G1"}
	if err := s.ApplyParticipants(ctx, []importer.ParticipantRow{row}); err != nil {
		t.Fatal(err)
	}
	row.Group = "G2"
	if err := s.ApplyParticipants(ctx, []importer.ParticipantRow{row}); err != nil {
		t.Fatal(err)
	}
	if m := r.Client.SMembers(ctx, r.Prefix+"gm:G1").Val(); len(m) != 0 {
		t.Errorf("old group still lists %v", m)
	}
	if m := r.Client.SMembers(ctx, r.Prefix+"gm:G2").Val(); len(m) != 1 {
		t.Errorf("new group lists %v", m)
	}
}

func TestOwnLanguageChoiceSurvivesReimport(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	row := importer.ParticipantRow{Phone: "+51987654321", Name: "Rosa", Language: "es", Group: "G1"}
	_ = s.ApplyParticipants(ctx, []importer.ParticipantRow{row})
	_, p, _ := s.Load(ctx, "x", row.Phone)
	if err := s.SetLanguage(ctx, p, "shp"); err != nil {
		t.Fatal(err)
	}
	_ = s.ApplyParticipants(ctx, []importer.ParticipantRow{row})
	if _, p, _ = s.Load(ctx, "x", row.Phone); p.Lang != "shp" {
		t.Errorf("a re-import undid the participant's own language choice: %q", p.Lang)
	}
}

func TestOldEventsArePrunedOnImport(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	_ = s.ApplyParticipants(ctx, []importer.ParticipantRow{{Phone: "+51987654321", Name: "Rosa", Language: "es", Group: "G1"}})
	old := importer.EventRow{Phone: "+51987654321", Event: program.Event{ID: "old", Kind: "visit", Date: "2026-08-01", Time: "09:00", Place: "x"}}
	recent := importer.EventRow{Phone: "+51987654321", Event: program.Event{ID: "new", Kind: "visit", Date: "2026-11-01", Time: "09:00", Place: "y"}}
	if err := s.ApplyEvents(ctx, []importer.EventRow{old, recent}); err != nil {
		t.Fatal(err)
	}
	_, p, _ := s.Load(ctx, "x", "+51987654321")
	if len(p.Events) != 1 || p.Events[0].ID != "new" {
		t.Errorf("events older than 60 days should be dropped: %+v", p.Events)
	}
}

func TestPINLockAndOnce(t *testing.T) {
	s, r := newStore(t)
	ctx := context.Background()
	phone := "+51987654321"
	if _, err := s.SetPIN(ctx, phone, "right"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		once string
		hash string
		ok   bool
		left int
		lock bool
	}{
		{"h1", "wrong", false, 2, false},
		{"h1", "wrong", false, 2, false}, // the same hop again: not counted twice
		{"h2", "wrong", false, 1, false},
		{"h3", "right", true, 3, false}, // a right PIN forgets past failures
		{"h4", "wrong", false, 2, false},
		{"h5", "wrong", false, 1, false},
		{"h6", "wrong", false, 0, true},
		{"h7", "right", false, 0, true}, // locked: even the right PIN waits
	} {
		got, err := s.VerifyPIN(ctx, phone, want.hash, want.once)
		if err != nil {
			t.Fatal(err)
		}
		if got.OK != want.ok || got.Left != want.left || (got.LockedFor > 0) != want.lock {
			t.Errorf("attempt %d: %+v, want ok=%v left=%d locked=%v", i, got, want.ok, want.left, want.lock)
		}
	}
	if ttl := r.Client.PTTL(ctx, r.Prefix+"pinlock:"+phone).Val(); ttl <= 29*time.Minute || ttl > 30*time.Minute {
		t.Errorf("lock TTL %v, want 30 minutes", ttl)
	}
	if v, _ := r.Client.HGet(ctx, r.Prefix+"p:"+phone, "pin").Result(); v != "right" {
		t.Errorf("stored PIN field %q", v)
	}
}

// TestReimportMovesAndCancels: a visits file replaces the visits of the
// participants and groups it names; others, and transfers, stay.
func TestReimportMovesAndCancels(t *testing.T) {
	s, _ := newStore(t)
	dir := t.TempDir()
	importAll(t, s, dir)
	moved := write(t, dir, "visits2.csv", "phone,group,kind,starts_at,place,topic\n987654321,,visit,2026-11-29 10:00,Su casa,Biohuerto\n")
	if _, err := importer.Import(context.Background(), importer.Visits, moved, s, importer.Options{Location: lima}); err != nil {
		t.Fatal(err)
	}
	_, p, _ := s.Load(context.Background(), "x", "+51987654321")
	var got []string
	for _, e := range p.Events {
		got = append(got, e.Kind+" "+e.Date+" "+e.Time)
	}
	sort.Strings(got)
	// The visit moved to 29/11 10:00; the group's meeting stays (the file
	// does not name the group); the transfer stays (another kind).
	want := "meeting 2026-12-03 15:00,transfer 2026-12-15 ,visit 2026-11-29 10:00"
	if strings.Join(got, ",") != want {
		t.Errorf("events after the re-import:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	cancel := write(t, dir, "visits3.csv", "phone,group,kind,starts_at,place,topic\n,G1,training,2026-12-10 14:00,Local comunal,Cuyes\n")
	if _, err := importer.Import(context.Background(), importer.Visits, cancel, s, importer.Options{Location: lima}); err != nil {
		t.Fatal(err)
	}
	_, p, _ = s.Load(context.Background(), "x", "+51987654322")
	if len(p.Events) != 1 || p.Events[0].Kind != "training" {
		t.Errorf("the group's meeting, no longer listed for the group, is cancelled: %+v", p.Events)
	}
}

// TestSnapshotGoneOnlyWhenMissing: only a missing snapshot is a version
// gone; Redis not answering is an error that says nothing of the version.
func TestSnapshotGoneOnlyWhenMissing(t *testing.T) {
	r := testredis.New(t)
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testredis.NewProxy(t, u.Host)
	opt, err := redis.ParseURL("redis://" + proxy.Addr + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	opt.ReadTimeout, opt.MaxRetries = 200*time.Millisecond, -1
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	s := New(client, r.Prefix, DefaultOptions(), nil)
	ctx := context.Background()
	if err := s.SaveSnapshot(ctx, "v1", map[string][]byte{"flows/a.yaml": []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadSnapshot(ctx, "v0"); !errors.Is(err, engine.ErrVersionGone) {
		t.Errorf("a missing snapshot: %v, want ErrVersionGone", err)
	}
	if err := r.Client.Set(ctx, r.Prefix+"flowset:bad", "{", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadSnapshot(ctx, "bad"); !errors.Is(err, engine.ErrVersionGone) {
		t.Errorf("a snapshot that does not parse: %v, want ErrVersionGone", err)
	}
	proxy.Stall()
	if _, err := s.LoadSnapshot(ctx, "v1"); err == nil || errors.Is(err, engine.ErrVersionGone) {
		t.Errorf("Redis not answering: %v, want an error that is not ErrVersionGone", err)
	}
	proxy.Restore()
	if files, err := s.LoadSnapshot(ctx, "v1"); err != nil || string(files["flows/a.yaml"]) != "x" {
		t.Errorf("after Redis answers again: %v %v", files, err)
	}
}
