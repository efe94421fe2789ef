package ingest

// sniffLen is how much of a file binary detection looks at: enough to
// catch the headers and tables of binary formats without reading a large
// file twice.
const sniffLen = 8 << 10

// maxControlShare is the share of control bytes above which content is
// taken for binary. Text files hold tabs and line ends (not counted) and at
// most a rare stray control byte; binary formats hold many.
const maxControlShare = 0.10

// isBinary reports whether data looks like binary content: a NUL byte, or
// more than maxControlShare control characters, in its first 8 KiB.
// Bytes of 0x80 and above are not counted: they are UTF-8 or a legacy
// encoding, which Parse repairs rather than rejects.
func isBinary(data []byte) bool {
	if len(data) > sniffLen {
		data = data[:sniffLen]
	}
	if len(data) == 0 {
		return false
	}
	control := 0
	for _, c := range data {
		switch {
		case c == 0:
			return true
		case c == '\t' || c == '\n' || c == '\r' || c == '\f':
		case c < 0x20 || c == 0x7f:
			control++
		}
	}
	return float64(control)/float64(len(data)) > maxControlShare
}
