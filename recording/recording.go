// Package recording is the format of a consumer's recording: the calls a consumer's tests
// made to the mock, in order, with what the mock answered, written so that it can be committed
// beside those tests and replayed against any server (mixpeek-conformance replay,
// conformance.Replay).
//
// A recording holds no value of the consumer's: the names it chose are symbols ($secret1,
// $key2, $user), secret values and plaintext keys are placeholders, instants are offsets from
// the mock's clock, and an answer is kept as its shape (the members present and their types).
// docs/recording.md describes the format, member by member. The mock makes recordings
// (mockserver.Server's Recording, GET /_mock/recording, mockservertest's RecordTo); Parse reads
// one from a file.
package recording

import (
	"errors"

	"github.com/mixpeekkit/mixpeekkit/internal/recfmt"
)

// Format and Version name the format: a recording says both, and Parse refuses another.
const (
	Format  = recfmt.Format
	Version = recfmt.Version
)

// Recording is a consumer's recording, read (Parse) or made by the mock.
type Recording struct{ doc *recfmt.Recording }

// Parse reads a recording and checks it is one that can be replayed: the version, every call
// an operation of openapi.yaml with a credential, a status and a response, every symbol
// described.
func Parse(data []byte) (*Recording, error) {
	doc, err := recfmt.Parse(data)
	if err != nil {
		return nil, err
	}
	return &Recording{doc: doc}, nil
}

// Marshal is the recording as it is written to a file: indented, members sorted, so that the
// same calls give the same bytes.
func (r *Recording) Marshal() ([]byte, error) {
	if r == nil || r.doc == nil {
		return nil, errors.New("recording: none")
	}
	return r.doc.Marshal()
}
