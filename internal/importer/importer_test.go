package importer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York for the daylight-saving gap, wherever tests run
	"unicode"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/program"
)

// call is one Sink method call as the test sink saw it.
type call struct {
	Method string
	Rows   any
}

// memSink knows a few phones and groups and records every call.
type memSink struct {
	phones, groups map[string]bool
	applies        []call
	lookups        []call
	applyErr       error
	lookupErr      error
}

func newSink() *memSink {
	return &memSink{
		phones: map[string]bool{"+51987654321": true, "+51912345678": true, "+51987654322": true,
			"+51987654323": true, "+51987654324": true, "+51987654325": true},
		groups: map[string]bool{"Ayllu Sur": true},
	}
}

func (s *memSink) known(method string, set map[string]bool, keys []string) ([]bool, error) {
	s.lookups = append(s.lookups, call{method, slices.Clone(keys)})
	if s.lookupErr != nil {
		return nil, s.lookupErr
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = set[k]
	}
	return out, nil
}

func (s *memSink) KnownPhones(_ context.Context, phones []string) ([]bool, error) {
	return s.known("KnownPhones", s.phones, phones)
}

func (s *memSink) KnownGroups(_ context.Context, groups []string) ([]bool, error) {
	return s.known("KnownGroups", s.groups, groups)
}

func record[R any](s *memSink, method string, rows []R) error {
	s.applies = append(s.applies, call{method, slices.Clone(rows)})
	return s.applyErr
}

func (s *memSink) ApplyParticipants(_ context.Context, rows []ParticipantRow) error {
	return record(s, "ApplyParticipants", rows)
}

func (s *memSink) ApplyCoaches(_ context.Context, rows []CoachRow) error {
	return record(s, "ApplyCoaches", rows)
}

func (s *memSink) ApplySavings(_ context.Context, rows []SavingsRow) error {
	return record(s, "ApplySavings", rows)
}

func (s *memSink) ApplyEvents(_ context.Context, rows []EventRow) error {
	return record(s, "ApplyEvents", rows)
}

func opener(data string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }
}

func header(k Kind) string { return strings.Join(Headers[k], ",") + "\n" }

var lima = time.FixedZone("PET", -5*3600)

const goodParticipants = "phone,name,language,community,district,region,group,coach_phone\n" +
	"987654321,Rosa Quispe,QU,Pampa,Ccatca,Cusco,Ayllu Sur,\n" +
	"51987654322, Juana Mamani ,es,,,,Ayllu Sur,+51 912 345 678\n" +
	"+51 987 654 323,Elena Huamán,quz,,,,Ayllu Norte,912345678\n"

func TestImportGoodFiles(t *testing.T) {
	ev := func(target, ph, group string, e program.Event) EventRow {
		e.ID = eventID(target, e.Kind, e.Program, e.Date, e.Time)
		return EventRow{Phone: ph, Group: group, Event: e}
	}
	tests := []struct {
		name string
		kind Kind
		data string
		want []call
	}{
		{"participants", Participants, goodParticipants, []call{{"ApplyParticipants", []ParticipantRow{
			{Phone: "+51987654321", Name: "Rosa Quispe", Language: "qu", Community: "Pampa", District: "Ccatca", Region: "Cusco", Group: "Ayllu Sur"},
			{Phone: "+51987654322", Name: "Juana Mamani", Language: "es", Group: "Ayllu Sur", Coach: "+51912345678"},
			{Phone: "+51987654323", Name: "Elena Huamán", Language: "quz", Group: "Ayllu Norte", Coach: "+51912345678"},
		}}}},
		{"coaches", Coaches, header(Coaches) +
			"912345678,Marta Coa,es,Ayllu Sur\n" +
			"+51 912 345 678,Marta Coa,ES,Ayllu Norte\n",
			[]call{{"ApplyCoaches", []CoachRow{
				{Phone: "+51912345678", Name: "Marta Coa", Language: "es", Group: "Ayllu Sur"},
				{Phone: "+51912345678", Name: "Marta Coa", Language: "es", Group: "Ayllu Norte"},
			}}}},
		{"savings", Savings, header(Savings) +
			"987654321,\"1,250.50\",2025-01-31\n" +
			"+51 912 345 678,0,2025-02-01\n",
			[]call{{"ApplySavings", []SavingsRow{
				{Phone: "+51987654321", Cents: 125050, AsOf: "2025-01-31"},
				{Phone: "+51912345678", Cents: 0, AsOf: "2025-02-01"},
			}}}},
		{"visits", Visits, header(Visits) +
			"987654321,,visit,2025-03-14 09:30,Casa de Rosa,Ahorro\n" +
			",Ayllu Sur,Training,2025-03-15 15:00,Local comunal,\n",
			[]call{{"ApplyEvents", []EventRow{
				ev("p:+51987654321", "+51987654321", "", program.Event{Kind: "visit", Date: "2025-03-14", Time: "09:30", Place: "Casa de Rosa", Topic: "Ahorro"}),
				ev("g:Ayllu Sur", "", "Ayllu Sur", program.Event{Kind: "training", Date: "2025-03-15", Time: "15:00", Place: "Local comunal", Group: "Ayllu Sur"}),
			}}}},
		{"transfers", Transfers, header(Transfers) +
			"987654321,,Juntos,2025-04-01,200,Banco de la Nación\n" +
			",Ayllu Sur,pension_65,2025-04-02,350.5,Agencia\n",
			[]call{{"ApplyEvents", []EventRow{
				ev("p:+51987654321", "+51987654321", "", program.Event{Kind: "transfer", Date: "2025-04-01", Program: "juntos", Cents: 20000, Place: "Banco de la Nación"}),
				ev("g:Ayllu Sur", "", "Ayllu Sur", program.Event{Kind: "transfer", Date: "2025-04-02", Program: "pension_65", Cents: 35050, Place: "Agencia", Group: "Ayllu Sur"}),
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink()
			rep, err := ImportReader(context.Background(), tt.kind, opener(tt.data), s, Options{Location: lima})
			if err != nil {
				t.Fatalf("err = %v, errors %v", err, rep.Errors)
			}
			want := Report{Kind: tt.kind, Rows: 2, Applied: true}
			if tt.kind == Participants {
				want.Rows = 3
			}
			if !reflect.DeepEqual(rep, want) {
				t.Errorf("report = %+v, want %+v", rep, want)
			}
			if !reflect.DeepEqual(s.applies, tt.want) {
				t.Errorf("applies =\n%+v\nwant\n%+v", s.applies, tt.want)
			}
		})
	}
}

func TestImportReportsEveryBadRow(t *testing.T) {
	data := header(Participants) +
		"98765,Rosa,qu,,,,G1,\n" + // 2
		"987654321,,xx,,,,G1,\n" + // 3
		"\n" + // 4
		"987654322,Ana,es,,,,,12\n" + // 5
		"987654321,Eva,es,,,,G1,\n" + // 6
		"987654324,\"Ana\nMaria\",es,,,,G1,\n" + // 7-8
		"987654325,Lia,es,,,,G1\n" // 9
	s := newSink()
	rep, err := ImportReader(context.Background(), Participants, opener(data), s, Options{})
	if !errors.Is(err, ErrBadRows) {
		t.Fatalf("err = %v, want ErrBadRows", err)
	}
	langs := "must be one of es, qu, quz, quy, shp"
	want := []RowError{
		{2, "phone", "***65", "a Peruvian mobile number has 9 digits starting with 9"},
		{3, "name", "", reasonRequired},
		{3, "language", "xx", langs},
		{5, "group", "", reasonRequired},
		{5, "coach_phone", "**", "a Peruvian mobile number has 9 digits starting with 9"},
		{6, "phone", "*******21", "phone already on line 3"}, // phones masked: a report reaches logs
		{7, "name", "Ana\nMaria", "contains a line break, tab or other invisible character; remove it"},
		{9, "", "", "expected 8 values (phone,name,language,community,district,region,group,coach_phone) but found 7; look for a missing or extra comma"},
	}
	if !reflect.DeepEqual(rep.Errors, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", errList(rep.Errors), errList(want))
	}
	if rep.Rows != 6 || rep.Applied || rep.MoreErrors != 0 {
		t.Errorf("report = %+v", rep)
	}
	if len(s.applies) != 0 {
		t.Errorf("sink got %d Apply calls, want none", len(s.applies))
	}
}

func errList(errs []RowError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}

func TestImportProblems(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 201)
	tests := []struct {
		name string
		kind Kind
		data string
		loc  *time.Location
		want []RowError
	}{
		{"wrong header", Participants, "phone,nombre,language,community,district,region,group,coach_phone\n987654321,Rosa,qu,,,,G,\n", nil,
			[]RowError{{1, "", "phone,nombre,language,community,district,region,group,coach_phone",
				`expected the header "phone,name,language,community,district,region,group,coach_phone", found "phone,nombre,language,community,district,region,group,coach_phone"`}}},
		{"header in another order", Savings, "balance,phone,as_of\n", nil,
			[]RowError{{1, "", "balance,phone,as_of", `expected the header "phone,balance,as_of", found "balance,phone,as_of"`}}},
		{"empty file", Coaches, "", nil,
			[]RowError{{1, "", "", `the file is empty; the first line must be the header "phone,name,language,group"`}}},
		{"wrong field count", Coaches, header(Coaches) + "912345678,Marta,es,G,extra\n", nil,
			[]RowError{{2, "", "", "expected 4 values (phone,name,language,group) but found 5; look for a missing or extra comma"}}},
		{"stray quote", Coaches, header(Coaches) + "912345678,Marta \"la profe\",es,G\n912345678,Marta,es,G\n", nil,
			[]RowError{{2, "", "", `a value has a " but is not in quotes; put the value in quotes and double the " inside it`}}},
		{"too long", Coaches, header(Coaches) + "912345678," + long + ",es,G\n", nil,
			[]RowError{{2, "name", strings.Repeat("a", 200) + "…", "is 201 characters long; at most 200 are allowed"}}},
		{"not utf-8", Coaches, header(Coaches) + "912345678,Mar\xe9a,es,G\n", nil,
			[]RowError{{2, "name", "Mar\xe9a", `is not valid UTF-8 text; save the spreadsheet as "CSV UTF-8"`}}},
		{"tab", Coaches, header(Coaches) + "912345678,Marta,es,\"G\t1\"\n", nil,
			[]RowError{{2, "group", "G\t1", "contains a line break, tab or other invisible character; remove it"}}},
		{"coach twice in a group", Coaches, header(Coaches) + "912345678,Marta,es,G\n+51912345678,Marta,es,G\n", nil,
			[]RowError{{3, "phone", "+51******678", "this coach is already listed for this group on line 2"}}},
		{"unknown phone", Savings, header(Savings) + "987654321,10,2025-01-01\n999888777,10,2025-01-01\n", nil,
			[]RowError{{3, "phone", "*******77", reasonUnknownPhone}}},
		{"savings twice", Savings, header(Savings) + "987654321,10,2025-01-01\n51987654321,20,2025-01-02\n", nil,
			[]RowError{{3, "phone", "*********21", "phone already on line 2"}}},
		{"bad balance and dates", Savings, header(Savings) + "987654321,-5,2025-02-30\n912345678,S/ 10,2999-01-01\n", nil,
			[]RowError{
				{2, "balance", "-5", "must be an amount in soles like 350.00, without S/"},
				{2, "as_of", "2025-02-30", "must be a real date written year-month-day, like 2025-03-14"},
				{3, "balance", "S/ 10", "must be an amount in soles like 350.00, without S/"},
				{3, "as_of", "2999-01-01", "is in the future; use the date the balance was taken"},
			}},
		{"phone and group", Visits, header(Visits) + "987654321,Ayllu Sur,visit,2025-03-14 09:30,Casa,\n", nil,
			[]RowError{{2, "phone", "*******21", "give either phone or group, not both"}}},
		{"neither phone nor group", Visits, header(Visits) + ",,visit,2025-03-14 09:30,Casa,\n", nil,
			[]RowError{{2, "phone", "", "phone or group is required"}}},
		{"unknown group, bad kind and time", Visits, header(Visits) + ",Ayllu Norte,fiesta,14/03/2025 9:30,,\n", nil,
			[]RowError{
				{2, "group", "Ayllu Norte", reasonUnknownGroup},
				{2, "kind", "fiesta", "must be one of visit, training, meeting"},
				{2, "starts_at", "14/03/2025 9:30", "must be a real date and time written like 2025-03-14 09:30"},
				{2, "place", "", reasonRequired},
			}},
		{"time the clock skips", Visits, header(Visits) + "987654321,,visit,2025-03-09 02:30,Casa,\n", ny,
			[]RowError{{2, "starts_at", "2025-03-09 02:30", "does not exist in the America/New_York time zone because the clock skips it"}}},
		{"same visit twice", Visits, header(Visits) + "987654321,,visit,2025-03-14 09:30,Casa,\n+51987654321,,visit,2025-03-14 09:30,Chacra,Otro\n", nil,
			[]RowError{{3, "phone", "+51******321", "the same event (phone or group, kind and starts_at) is already on line 2"}}},
		{"bad transfer", Transfers, header(Transfers) + ",Ayllu Sur,Juntos!,2025-4-1,0,\n", nil,
			[]RowError{
				{2, "program", "Juntos!", "must be a program code like juntos or pension_65: letters, digits and _, starting with a letter, at most 32"},
				{2, "date", "2025-4-1", "must be a real date written year-month-day, like 2025-03-14"},
				{2, "amount", "0", "must be more than 0"},
				{2, "place", "", reasonRequired},
			}},
		{"same transfer twice", Transfers, header(Transfers) + ",Ayllu Sur,juntos,2025-04-01,200,A\n,Ayllu Sur,JUNTOS,2025-04-01,250,B\n", nil,
			[]RowError{{3, "group", "Ayllu Sur", "the same transfer (phone or group, program and date) is already on line 2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink()
			loc := tt.loc
			if loc == nil {
				loc = lima
			}
			rep, err := ImportReader(context.Background(), tt.kind, opener(tt.data), s, Options{Location: loc})
			if !errors.Is(err, ErrBadRows) {
				t.Fatalf("err = %v, want ErrBadRows", err)
			}
			if !reflect.DeepEqual(rep.Errors, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", errList(rep.Errors), errList(tt.want))
			}
			if len(s.applies) != 0 || rep.Applied {
				t.Errorf("applied %d batches, want none", len(s.applies))
			}
		})
	}
}

func TestImportBOMAndSpaces(t *testing.T) {
	data := "\ufeff phone , name,language ,community,district,region,group,coach_phone\r\n" +
		"987654321,Rosa,qu,,,,G,\r\n\r\n   \r\n,,,,,,,\r\n"
	s := newSink()
	rep, err := ImportReader(context.Background(), Participants, opener(data), s, Options{})
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	want := []call{{"ApplyParticipants", []ParticipantRow{{Phone: "+51987654321", Name: "Rosa", Language: "qu", Group: "G"}}}}
	if rep.Rows != 1 || !reflect.DeepEqual(s.applies, want) {
		t.Errorf("rows %d, applies %+v", rep.Rows, s.applies)
	}
}

func participants(n int) string {
	var b strings.Builder
	b.WriteString(header(Participants))
	for i := range n {
		b.WriteString("98765432" + string(rune('1'+i)) + ",P,es,,,,G,\n")
	}
	return b.String()
}

func TestImportBatches(t *testing.T) {
	s := newSink()
	rep, err := ImportReader(context.Background(), Participants, opener(participants(5)), s, Options{Batch: 2})
	if err != nil || !rep.Applied {
		t.Fatalf("err = %v, report %+v", err, rep)
	}
	var sizes []int
	for _, c := range s.applies {
		sizes = append(sizes, len(c.Rows.([]ParticipantRow)))
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("batch sizes = %v, want [2 2 1]", sizes)
	}

	// Lookups are batched the same way.
	data := header(Savings)
	for i := range 5 {
		data += "98765432" + string(rune('1'+i)) + ",1,2025-01-01\n"
	}
	s = newSink()
	if _, err := ImportReader(context.Background(), Savings, opener(data), s, Options{Batch: 2}); err != nil {
		t.Fatal(err)
	}
	if len(s.lookups) != 3 || len(s.applies) != 3 {
		t.Errorf("lookups %d, applies %d; want 3 and 3", len(s.lookups), len(s.applies))
	}
}

func TestImportMaxErrors(t *testing.T) {
	data := header(Coaches) + strings.Repeat("1,Marta,es,G\n", 5)
	rep, err := ImportReader(context.Background(), Coaches, opener(data), newSink(), Options{MaxErrors: 2})
	if !errors.Is(err, ErrBadRows) || len(rep.Errors) != 2 || rep.MoreErrors != 3 {
		t.Errorf("err %v, %d errors, %d more; want 2 and 3", err, len(rep.Errors), rep.MoreErrors)
	}
}

func TestImportTwiceSameCalls(t *testing.T) {
	data := header(Visits) + "987654321,,visit,2025-03-14 09:30,Casa,\n,Ayllu Sur,meeting,2025-03-14 10:00,Local,\n"
	var runs [][]call
	for range 2 {
		s := newSink()
		if _, err := ImportReader(context.Background(), Visits, opener(data), s, Options{Location: lima}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, s.applies)
	}
	if !reflect.DeepEqual(runs[0], runs[1]) {
		t.Errorf("first import %+v, second %+v", runs[0], runs[1])
	}
}

func TestEventID(t *testing.T) {
	id := func(data string) string {
		s := newSink()
		if _, err := ImportReader(context.Background(), Transfers, opener(header(Transfers)+data), s, Options{}); err != nil {
			t.Fatal(err)
		}
		return s.applies[0].Rows.([]EventRow)[0].Event.ID
	}
	base := id("987654321,,juntos,2025-04-01,200,Banco\n")
	if len(base) != 16 {
		t.Errorf("ID %q, want 16 hex digits", base)
	}
	if got := id("+51 987 654 321,,Juntos,2025-04-01,250,Agencia\n"); got != base {
		t.Errorf("corrected amount and place changed the ID: %s, want %s", got, base)
	}
	for _, other := range []string{
		"987654322,,juntos,2025-04-01,200,Banco\n",
		"987654321,,pension_65,2025-04-01,200,Banco\n",
		"987654321,,juntos,2025-04-02,200,Banco\n",
		",Ayllu Sur,juntos,2025-04-01,200,Banco\n",
	} {
		if id(other) == base {
			t.Errorf("%q has the same ID as the base transfer", other)
		}
	}
}

func TestImportSinkFails(t *testing.T) {
	boom := errors.New("redis down")
	s := newSink()
	s.applyErr = boom
	_, err := ImportReader(context.Background(), Participants, opener(goodParticipants), s, Options{})
	if !errors.Is(err, boom) || err.Error() != "import participants line 2: redis down" {
		t.Errorf("apply failure: %v", err)
	}
	s = newSink()
	s.lookupErr = boom
	_, err = ImportReader(context.Background(), Savings, opener(header(Savings)+"\n987654321,1,2025-01-01\n"), s, Options{})
	if !errors.Is(err, boom) || err.Error() != "import savings line 3: checking which phones exist: redis down" {
		t.Errorf("lookup failure: %v", err)
	}
	if len(s.applies) != 0 {
		t.Errorf("applied after a failed lookup")
	}
}

func TestImportFileChangedBetweenPasses(t *testing.T) {
	reads := 0
	open := func() (io.ReadCloser, error) {
		reads++
		data := participants(3)
		if reads > 1 {
			data = strings.Replace(data, "987654322", "999999999", 1)
		}
		return io.NopCloser(strings.NewReader(data)), nil
	}
	s := newSink()
	_, err := ImportReader(context.Background(), Participants, open, s, Options{})
	if !errors.Is(err, errChanged) || len(s.applies) != 0 {
		t.Errorf("err = %v, %d applies; want errChanged and none", err, len(s.applies))
	}
}

func TestImportCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newSink()
	_, err := ImportReader(ctx, Participants, opener(goodParticipants), s, Options{})
	if !errors.Is(err, context.Canceled) || len(s.applies) != 0 {
		t.Errorf("err = %v, %d applies", err, len(s.applies))
	}
}

func TestImportFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "participants.csv")
	if err := os.WriteFile(path, []byte(goodParticipants), 0o600); err != nil {
		t.Fatal(err)
	}
	// A file is not a terminal, so no bar may be drawn into it.
	progress, err := os.Create(filepath.Join(dir, "progress.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer progress.Close()
	var buf bytes.Buffer
	for _, w := range []io.Writer{progress, &buf} {
		s := newSink()
		rep, err := Import(context.Background(), Participants, path, s, Options{Progress: w})
		if err != nil || !rep.Applied || len(s.applies) != 1 {
			t.Fatalf("err %v, report %+v", err, rep)
		}
	}
	if info, _ := progress.Stat(); info.Size() != 0 || buf.Len() != 0 {
		t.Errorf("progress written to a non-terminal")
	}
	_, err = Import(context.Background(), Participants, filepath.Join(dir, "missing.csv"), newSink(), Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "import participants: ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestImportUnknownKind(t *testing.T) {
	if _, err := ImportReader(context.Background(), "payments", opener(""), newSink(), Options{}); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestRowErrorMessage(t *testing.T) {
	e := RowError{Line: 7, Column: "phone", Value: "98765", Reason: "a Peruvian mobile number has 9 digits starting with 9"}
	if got, want := e.Error(), `line 7, column phone, value "98765": a Peruvian mobile number has 9 digits starting with 9`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte(goodParticipants))
	f.Add([]byte(participants(5)))
	f.Add([]byte("\ufeff" + header(Participants) + "987654321,\"Ro\"\"sa\",es,,,,G,\n\n"))
	f.Add([]byte(header(Participants) + "98765,,xx,,,,,\n987654321,Eva,es,,,,G,1\n\"a,b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSink()
		open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		rep, err := ImportReader(context.Background(), Participants, open, s, Options{Batch: 3})
		if err != nil {
			if !errors.Is(err, ErrBadRows) || len(rep.Errors) == 0 || rep.Applied || len(s.applies) != 0 {
				t.Fatalf("err %v, report %+v, %d applies", err, rep, len(s.applies))
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range s.applies {
			for _, row := range c.Rows.([]ParticipantRow) {
				checkParticipant(t, row)
				if seen[row.Phone] {
					t.Fatalf("phone %s applied twice", row.Phone)
				}
				seen[row.Phone] = true
			}
		}
		if len(seen) != rep.Rows || !rep.Applied {
			t.Fatalf("applied %d rows, report %+v", len(seen), rep)
		}
	})
}

// checkParticipant holds a row to the rules the importer promises.
func checkParticipant(t *testing.T, row ParticipantRow) {
	t.Helper()
	if p, err := phone.Normalize(row.Phone); err != nil || p != row.Phone {
		t.Fatalf("phone %q not normalized", row.Phone)
	}
	if row.Coach != "" {
		if p, err := phone.Normalize(row.Coach); err != nil || p != row.Coach {
			t.Fatalf("coach %q not normalized", row.Coach)
		}
	}
	if row.Name == "" || row.Group == "" || !program.ValidLanguage(row.Language) {
		t.Fatalf("required value missing in %+v", row)
	}
	for _, v := range []string{row.Name, row.Community, row.District, row.Region, row.Group} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxChars ||
			strings.IndexFunc(v, unicode.IsControl) >= 0 || strings.TrimSpace(v) != v {
			t.Fatalf("value %q should have been refused", v)
		}
	}
}
