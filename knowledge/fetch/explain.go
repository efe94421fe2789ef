package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// Explain words the error of an HTTP request that got no answer in plain
// words, for the person who reads it: "connection refused by
// 127.0.0.1:1: no server is listening there", "host name wiki.example.com
// not found (DNS)", "timed out: no answer in time", "TLS certificate not
// trusted: signed by an unknown authority". The method and URL of a
// *url.Error are left out: the caller names the URL, without its
// credentials. The result wraps err, so errors.Is and errors.As find what
// they found in err; an error with no better words, such as this
// package's own (ErrBlockedAddress, ErrTooManyRedirects, ...), keeps its
// message. Explain(nil) is nil.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if words := reason(err); words != "" {
		return &explained{words: words, err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		// `Get "http://x/": ...` repeats what the caller names.
		return &explained{words: ue.Err.Error(), err: err}
	}
	return err
}

// explained is an error worded by Explain, wrapping the original.
type explained struct {
	words string
	err   error
}

func (e *explained) Error() string { return e.words }
func (e *explained) Unwrap() error { return e.err }

// reason is Explain's wording of err, or "" when it has none.
func reason(err error) string {
	var (
		dns     *net.DNSError
		op      *net.OpError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	addr := ""
	if errors.As(err, &op) && op.Addr != nil {
		addr = op.Addr.String()
	}
	switch {
	case isOwn(err), errors.Is(err, context.Canceled):
		return ""
	case errors.As(err, &dns):
		switch {
		case dns.IsNotFound:
			return "host name " + dns.Name + " not found (DNS)"
		case dns.IsTimeout:
			return "host name " + dns.Name + " could not be looked up in time (DNS)"
		}
		return "host name " + dns.Name + " could not be looked up (DNS: " + dns.Err + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		if addr == "" {
			return "connection refused: no server is listening there"
		}
		return "connection refused by " + addr + ": no server is listening there"
	case isTimeout(err):
		if op != nil && op.Op == "dial" && addr != "" {
			return "timed out connecting to " + addr
		}
		return "timed out: no answer in time"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset before the answer was complete"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		if addr == "" {
			return "no route from here to the server"
		}
		return "no route from here to " + addr
	case errors.As(err, &unknown):
		return "TLS certificate not trusted: signed by an unknown authority (self-signed or private)"
	case errors.As(err, &host):
		return "TLS certificate not valid for " + host.Host
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "TLS certificate expired or not yet valid"
	case errors.As(err, &verify):
		return "TLS certificate not valid: " + strings.TrimPrefix(verify.Err.Error(), "x509: ")
	case errors.As(err, &record):
		return "no TLS answer: the server may not speak https"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without a complete answer"
	}
	return ""
}

// isOwn reports whether err is one of the package's errors, already in
// plain words.
func isOwn(err error) bool {
	for _, own := range []error{ErrScheme, ErrBlockedAddress, ErrTooManyRedirects, ErrRedirectLoop,
		ErrDowngrade, ErrTooLarge, ErrStatus, ErrDisallowed} {
		if errors.Is(err, own) {
			return true
		}
	}
	return false
}

// isTimeout reports whether err is a deadline passed: a context's, a
// client's or a connection's.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
