package mockserver

// The Server's side of the recordings (recorder.go holds one organization's): which recording
// a call goes to, the markers of resets and clock moves, and the copies it hands out.

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/mixpeekkit/mixpeekkit"
	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
	"github.com/mixpeekkit/mixpeekkit/recording"
)

// record adds an answered call to its organization's recording. A call that no organization
// can claim (no key, an unknown key) is in no recording.
func (s *Server) record(op *operation, r *http.Request, p *pending, status int, answer []byte) {
	rs := s.recorders
	if rs.off || p.keyHash == "" {
		return
	}
	orgID := p.recOrg
	if orgID == "" { // a key the mock does not know: one a recording saw before it was rotated?
		rs.mu.Lock()
		for id, rc := range rs.byOrg {
			if _, ok := rc.creds[p.keyHash]; ok {
				orgID = id
			}
		}
		rs.mu.Unlock()
		if orgID == "" {
			return
		}
	}
	rc := s.recorderOf(orgID)
	rs.mu.Lock()
	switch {
	case p.faulted:
		rc.rec.Faulted++
		if p.entry.OutsideContract {
			rc.rec.OutsideContract++
		}
	case rc.ended():
		rc.rec.Dropped++
	default:
		rs.mu.Unlock()
		x := s.exchangeOf(op, r, p, status, answer) // the decoding, outside the lock
		rs.mu.Lock()
		rc.add(x) // which checks the bound again
	}
	rs.mu.Unlock()
}

// exchangeOf is what the recorder needs of an answered call, its body and answer decoded.
func (s *Server) exchangeOf(op *operation, r *http.Request, p *pending, status int, answer []byte) exchange {
	var queryNames []string
	for _, prm := range op.route.Operation.Parameters {
		if prm.Value != nil && prm.Value.In == "query" {
			queryNames = append(queryNames, prm.Value.Name)
		}
	}
	x := exchange{
		op: mixpeekkit.OperationID(op.id), keyHash: p.keyHash, vars: mux.Vars(r), query: p.entry.Query, queryNames: queryNames,
		contentType: r.Header.Get("Content-Type"), bodySchema: op.bodySchema(), now: s.now(), status: status,
	}
	x.decodeForRecording(p.rawBody, answer)
	return x
}

// recorderOf is an organization's recorder, made on first use.
func (s *Server) recorderOf(orgID string) *recorder {
	rs := s.recorders
	rs.mu.Lock()
	rc := rs.byOrg[orgID]
	rs.mu.Unlock()
	if rc != nil {
		return rc
	}
	// Under the store's lock: reading the initial state builds its indexes (user.key), and
	// two first calls of one organization would race on them.
	now := s.now()
	s.store.mu.Lock()
	made := newRecorder(s.store.initial[orgID], rs.limit, rs.byteLimit, now)
	s.store.mu.Unlock()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rc := rs.byOrg[orgID]; rc != nil {
		return rc
	}
	rs.byOrg[orgID] = made
	return made
}

// resetRecording marks a reset in an organization's recording (the replay resets too);
// forget drops the recording of an organization that is gone.
func (s *Server) resetRecording(orgID string) {
	rs := s.recorders
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rc := rs.byOrg[orgID]
	if rc == nil || len(rc.rec.Calls) == 0 || rc.rec.Calls[len(rc.rec.Calls)-1].Reset {
		return
	}
	rc.push(recfmt.Call{Reset: true})
}

// push appends a call or a marker, numbered, unless the recording has ended: it holds its
// limit of calls, or the call would take it past its bytes (or cannot be written). The
// recording then ends there, so that what it keeps is a prefix of the calls, which a replay
// can still run; the call and every later one are counted as dropped.
func (rc *recorder) push(c recfmt.Call) {
	c.Seq = len(rc.rec.Calls) + 1
	data, err := json.Marshal(c)
	if rc.ended() || err != nil || rc.bytes+len(data) > rc.byteLimit {
		rc.full = true
		rc.rec.Dropped++
		return
	}
	rc.bytes += len(data)
	rc.rec.Calls = append(rc.rec.Calls, c)
}

// ended says whether the recording takes no more calls.
func (rc *recorder) ended() bool { return rc.full || len(rc.rec.Calls) >= rc.limit }

func (s *Server) forgetRecording(orgID string) {
	rs := s.recorders
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.byOrg, orgID)
}

// Recording is the recording of an organization's calls (GET /_mock/recording): a copy,
// ready to write with its Marshal. ErrNotFound for an organization the mock does not have;
// an organization nobody called has a recording of no calls. It is empty when recording is
// off (Options.DisableRecording).
func (s *Server) Recording(orgID string) (*recording.Recording, error) {
	rec, err := s.recordingOf(orgID)
	if err != nil {
		return nil, err
	}
	data, err := rec.Marshal()
	if err != nil {
		return nil, err
	}
	// Through Parse: what the mock hands over is what a file of it reads as.
	return recording.Parse(data)
}

// recordingOf is a copy of an organization's recording (GET /_mock/recording).
func (s *Server) recordingOf(orgID string) (*recfmt.Recording, error) {
	if s.store.inOrg(orgID, func(*state, *organization) error { return nil }) != nil {
		return nil, errOrgNotFound(orgID)
	}
	rc := s.recorderOf(orgID)
	rs := s.recorders
	rs.mu.Lock()
	defer rs.mu.Unlock()
	data, err := json.Marshal(rc.rec)
	if err != nil {
		return nil, err
	}
	var out recfmt.Recording
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// resetRecordings follows a reset of the whole mock: the seeded organizations' recordings
// mark it, the created organizations' go with them.
func (s *Server) resetRecordings() {
	s.recorders.mu.Lock()
	var seeded []string
	for id := range s.recorders.byOrg {
		if s.store.seeded(id) {
			seeded = append(seeded, id)
		} else {
			delete(s.recorders.byOrg, id)
		}
	}
	s.recorders.mu.Unlock()
	for _, id := range seeded {
		s.resetRecording(id)
	}
}

// clockMovedInRecordings marks a move of the mock's clock in every recording that has calls
// (a replay moves its target's clock too, or waits, or says it cannot); moves in a row add up.
func (s *Server) clockMovedInRecordings(d time.Duration) {
	if d == 0 {
		return
	}
	rs := s.recorders
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, rc := range rs.byOrg {
		calls := rc.rec.Calls
		switch {
		case len(calls) == 0:
		case calls[len(calls)-1].Clock != "":
			prev, _ := time.ParseDuration(calls[len(calls)-1].Clock)
			calls[len(calls)-1].Clock = (prev + d).String()
		default:
			rc.push(recfmt.Call{Clock: d.String()})
		}
	}
}
