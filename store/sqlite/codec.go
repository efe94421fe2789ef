package sqlite

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Vectors are stored as little-endian float32s: compact, and decoded with
// plain bit conversions, which keeps loading 100,000 chunks at start-up
// well under a second of decoding.

func appendVector(buf []byte, v []float32) []byte {
	for _, f := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
	}
	return buf
}

// decodeVector fills dst from b, which must hold exactly len(dst) floats.
func decodeVector(dst []float32, b []byte) {
	if len(dst) == 0 {
		return
	}
	_ = b[4*len(dst)-1] // one bounds check for the whole loop
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// encodeStrings stores a list as a JSON array; nil and empty both become
// "[]" so that the column never needs a NULL check.
func encodeStrings(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, err := json.Marshal(ss)
	if err != nil {
		// Marshalling []string cannot fail for valid UTF-8, which
		// store.Rules has already checked.
		panic(err)
	}
	return string(b)
}

// decodeStrings is the inverse of encodeStrings; an empty list decodes to
// nil so that a round trip of a nil slice is exact.
func decodeStrings(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decode string list %q: %w", s, err)
	}
	return ss, nil
}
