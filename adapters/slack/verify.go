package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors of request verification. They never include the secret or the
// signature received.
var (
	ErrBadSignature = errors.New("slack request signature does not match")
	ErrStaleRequest = errors.New("slack request timestamp is outside the 5-minute window")
)

// SignatureWindow is how far a request's timestamp may be from the clock:
// Slack's recommendation, which bounds replays of a captured request.
const SignatureWindow = 5 * time.Minute

// Verifier checks Slack's request signatures (X-Slack-Signature, an
// HMAC-SHA256 of "v0:TIMESTAMP:BODY" under the signing secret).
type Verifier struct {
	Secret Secret
	Now    func() time.Time // default time.Now
}

// Verify checks the signature headers against body.
func (v Verifier) Verify(h http.Header, body []byte) error {
	return v.check(h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature"), body)
}

func (v Verifier) check(timestamp, signature string, body []byte) error {
	if v.Secret == "" {
		return fmt.Errorf("%w: no signing secret configured", ErrBadSignature)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed X-Slack-Request-Timestamp", ErrStaleRequest)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(time.Unix(ts, 0)); d > SignatureWindow || d < -SignatureWindow {
		return fmt.Errorf("%w (off by %s)", ErrStaleRequest, d.Round(time.Second))
	}
	got, ok := strings.CutPrefix(signature, "v0=")
	if !ok {
		return fmt.Errorf("%w: missing or malformed X-Slack-Signature", ErrBadSignature)
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil {
		return fmt.Errorf("%w: X-Slack-Signature is not hex", ErrBadSignature)
	}
	if !hmac.Equal(gotMAC, v.mac(timestamp, body)) {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the X-Slack-Signature value for a request; Slack computes
// the same, and tests use it to build signed requests.
func (v Verifier) Sign(timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(v.mac(timestamp, body))
}

func (v Verifier) mac(timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(v.Secret.Reveal()))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return m.Sum(nil)
}
