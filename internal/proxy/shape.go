package proxy

import "github.com/mixpeekkit/mixpeekkit/internal/jsonbody"

// Bounds on the work one exchange costs.
const (
	// maxAnswerDepth is how deep an answer's arrays and objects may nest (the contract's
	// answers nest 3 deep). A deeper answer is one violation, too-deep, and is not read further.
	maxAnswerDepth = 64
	// maxAnswerValues is how many JSON values an answer may hold (a list of 1,000 keys holds
	// about 25,000). A larger answer is one violation, too-many-values, and is not read
	// further: decoded, each value costs tens of bytes and a fraction of a microsecond, twice.
	maxAnswerValues = 1 << 18
	// maxListedValues is how many JSON values an answer may hold for the schema check to list
	// every problem; a larger answer is checked to its first problem only (each problem
	// listed costs the schema check far more than a value).
	maxListedValues = 1 << 12
	// maxExchangeViolations is how many violations one exchange lists (its request's and its
	// answer's); past it one more, too-many-violations, stands for the rest.
	maxExchangeViolations = 100
	// maxPointerSegment is the longest member name a pointer shows; a longer one is
	// [REDACTED].
	maxPointerSegment = 128
)

// shape is what one pass over a JSON text, without decoding it, tells of its size
// (jsonbody.Count): whether it nests deeper than maxAnswerDepth, and how many values and
// member names it holds, counted to maxAnswerValues+1 at most.
func shape(data []byte) (tooDeep bool, values int) {
	values, tooDeep, _ = jsonbody.Count(data, maxAnswerDepth, maxAnswerValues)
	return tooDeep, values
}
