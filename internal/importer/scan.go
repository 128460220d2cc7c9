package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// maxChars bounds every cell: no field Willay shows on a phone screen needs
// more, and longer values are usually two cells pasted into one.
const maxChars = 200

const bom = "\ufeff"

// scanner reads one pass of a file as records with their line numbers.
type scanner struct {
	kind Kind
	cols []string
	rc   io.ReadCloser
	bar  *progressbar.ProgressBar
	cr   *csv.Reader
}

func openScan(kind Kind, src source, progress io.Writer, desc string) (*scanner, error) {
	rc, err := src.open()
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", kind, err)
	}
	s := &scanner{kind: kind, cols: Headers[kind], rc: rc}
	var in io.Reader = rc
	if s.bar = newBar(progress, src.size, desc); s.bar != nil {
		pr := progressbar.NewReader(rc, s.bar)
		in = &pr
	}
	s.cr = csv.NewReader(in)
	s.cr.FieldsPerRecord = -1 // counted in rec, so the error names the line
	s.cr.ReuseRecord = true   // every value is copied while trimming
	return s, nil
}

// newBar returns nil unless w is a terminal: a bar redrawn into a log file or
// a pipe would only be noise.
func newBar(w io.Writer, size int64, desc string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	if size <= 0 {
		size = -1 // unknown length: a spinner
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(f) }),
	)
}

func (s *scanner) close() {
	if s.bar != nil {
		s.bar.Finish()
	}
	s.rc.Close() // read-only: a failed close loses nothing
}

// header checks the first line. It returns a RowError when the line is not
// Headers[kind], and an error only when the file cannot be read.
func (s *scanner) header() (*RowError, error) {
	want := strings.Join(s.cols, ",")
	fields, err := s.cr.Read()
	if err == io.EOF {
		return &RowError{Line: 1, Reason: fmt.Sprintf("the file is empty; the first line must be the header %q", want)}, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{Line: pe.StartLine, Reason: fmt.Sprintf("expected the header %q, found a line that is not valid CSV", want)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("import %s line 1: %w", s.kind, err)
	}
	got := make([]string, len(fields))
	for i, f := range fields {
		got[i] = strings.TrimSpace(strings.TrimPrefix(f, bom))
	}
	if slices.Equal(got, s.cols) {
		return nil, nil
	}
	line, _ := s.cr.FieldPos(0)
	found := strings.Join(got, ",")
	found = clip(found, 2*len(want)) // a first line of data can be long
	return &RowError{Line: line, Value: found, Reason: fmt.Sprintf("expected the header %q, found %q", want, found)}, nil
}

// next returns the next non-blank record, or io.EOF. A record the CSV reader
// cannot split comes back as a rec with a line error, so checking goes on.
func (s *scanner) next() (*rec, error) {
	for {
		fields, err := s.cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &rec{line: pe.StartLine, errs: []RowError{{Line: pe.StartLine, Reason: csvReason(pe)}}}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("import %s: reading the file: %w", s.kind, err)
		}
		line, _ := s.cr.FieldPos(0)
		if r := newRec(line, s.cols, fields); r != nil {
			return r, nil
		}
	}
}

func csvReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `a value has a " but is not in quotes; put the value in quotes and double the " inside it`
	case errors.Is(pe.Err, csv.ErrQuote):
		return `a quoted value is not closed, or has text after its closing "`
	}
	return "the line is not valid CSV: " + pe.Err.Error()
}

// newRec trims the values and runs the checks every cell gets. It returns nil
// for a blank line, including the ",,,," spreadsheets write for empty rows.
func newRec(line int, cols, fields []string) *rec {
	vals := make([]string, len(fields))
	blank := true
	for i, f := range fields {
		vals[i] = strings.TrimSpace(f)
		blank = blank && vals[i] == ""
	}
	if blank {
		return nil
	}
	r := &rec{line: line, cols: cols}
	if len(vals) != len(cols) {
		reason := fmt.Sprintf("expected %d values (%s) but found %d; look for a missing or extra comma",
			len(cols), strings.Join(cols, ","), len(vals))
		r.errs = append(r.errs, RowError{Line: line, Reason: reason})
		return r
	}
	r.vals = vals
	for i, v := range vals {
		if reason := cellProblem(v); reason != "" {
			r.fail(cols[i], reason)
		}
	}
	return r
}

func cellProblem(v string) string {
	if !utf8.ValidString(v) {
		return `is not valid UTF-8 text; save the spreadsheet as "CSV UTF-8"`
	}
	if n := utf8.RuneCountInString(v); n > maxChars {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", n, maxChars)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "contains a line break, tab or other invisible character; remove it"
	}
	return ""
}

// clip keeps reports readable when a cell holds a pasted paragraph.
func clip(s string, limit int) string {
	n := 0
	for i := range s {
		if n == limit {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
