package twiliotest

import "net/http"

// failure is a programmed refusal. Code 0 means the answer does not come
// from Twilio at all but from something in front of it (a proxy's HTML
// page), which clients must still classify by HTTP status.
type failure struct {
	left             int // < 0: forever
	httpStatus, code int
	message          string
}

func (f *failure) write(w http.ResponseWriter) {
	if f.code != 0 {
		writeError(w, f.httpStatus, f.code, f.message)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.httpStatus)
	w.Write([]byte("<html><body><h1>" + f.message + "</h1></body></html>\n"))
}

// FailNext makes the next n creations to the number `to` fail with the
// given HTTP status, Twilio error code and message; n < 0 fails them all
// until Reset, n == 0 removes the rule. An empty `to` matches any recipient. A later call for the
// same number replaces the earlier one. Code 0 answers with a non-JSON
// body, like a proxy in front of Twilio.
func (s *Server) FailNext(to string, n, httpStatus, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 0 {
		delete(s.next, to)
		return
	}
	s.next[to] = &failure{left: n, httpStatus: httpStatus, code: code, message: message}
}

// FailAll makes every creation fail until Reset. FailNext rules still
// take precedence, so one recipient can fail differently.
func (s *Server) FailAll(httpStatus, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = &failure{left: -1, httpStatus: httpStatus, code: code, message: message}
}

// ReportBeforeAnswer makes the fake, for every message it accepts until
// Reset, post a status callback (errorCode 0 sends none) before it answers
// the creation; calls add reports, sent in the order added. Twilio's
// callbacks race its API answer, so a message can fail before the sender
// has learnt its SID.
func (s *Server) ReportBeforeAnswer(status string, errorCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.early = append(s.early, report{status: status, code: errorCode})
}

func (s *Server) earlyReports() []report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// Reset removes programmed failures and the delay; records are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = map[string]*failure{}
	s.always = nil
	s.early = nil
	s.delay.Store(0)
}

// failureFor consumes one use of the rule that applies to `to`, if any.
func (s *Server) failureFor(to string) *failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{to, ""} {
		f, ok := s.next[key]
		if !ok {
			continue
		}
		if f.left > 0 {
			if f.left--; f.left == 0 {
				delete(s.next, key)
			}
		}
		return f
	}
	return s.always
}
