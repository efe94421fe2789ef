package ingest

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// metaPrescanLen is how far into an HTML document a <meta> charset
// declaration is looked for, as browsers do (the HTML standard's
// prescan reads the first 1024 bytes).
const metaPrescanLen = 1024

// decodeText returns data as UTF-8 when it says it is in another
// encoding: by a byte order mark (UTF-8, UTF-16 LE or BE), which wins,
// else by declared (a charset label, such as an HTTP Content-Type's),
// else, for HTML, by a <meta> charset near its start. Data that says
// nothing, is already UTF-8, or names an encoding unknown here is
// returned as it is, so that a stray invalid byte costs one character
// (cleanText) rather than the whole document read in a guessed encoding.
// So is valid UTF-8 beyond ASCII, whatever is declared: text in a legacy
// encoding is almost never valid UTF-8, while servers that label UTF-8
// pages with an old default charset (ISO-8859-1) are common.
// Notepad's "Unicode" is UTF-16 LE with a byte order mark: without
// decoding, its NUL bytes read as binary.
func decodeText(data []byte, declared string, isHTML bool) []byte {
	if enc := bomEncoding(data); enc != nil {
		return decodeWith(enc, data)
	}
	label := strings.TrimSpace(declared)
	if label == "" && isHTML {
		label = metaCharset(data)
		// A page cannot declare UTF-16 in an ASCII <meta>: the
		// HTML standard reads such a declaration as UTF-8.
		if strings.HasPrefix(strings.ToLower(label), "utf-16") {
			label = ""
		}
	}
	if label == "" {
		return data
	}
	enc, name := charset.Lookup(label)
	if enc == nil || name == "utf-8" || utf8Beyond7Bit(data) {
		return data
	}
	return decodeWith(enc, data)
}

// utf8Beyond7Bit reports whether data is valid UTF-8 holding at least one
// character beyond ASCII.
func utf8Beyond7Bit(data []byte) bool {
	for _, c := range data {
		if c >= 0x80 {
			return utf8.Valid(data)
		}
	}
	return false
}

// bomEncoding returns the encoding a byte order mark at the start of data
// names, or nil.
func bomEncoding(data []byte) encoding.Encoding {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	return nil
}

// decodeWith decodes data, or returns it as it is when it cannot be
// decoded; the decoders of package charset replace bad input rather than
// fail, so that is rare.
func decodeWith(enc encoding.Encoding, data []byte) []byte {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return data
	}
	return out
}

// metaCharset returns the charset an HTML document declares in a <meta
// charset> or <meta http-equiv="Content-Type"> within its first
// metaPrescanLen bytes, or "".
func metaCharset(data []byte) string {
	if len(data) > metaPrescanLen {
		data = data[:metaPrescanLen]
	}
	z := html.NewTokenizer(bytes.NewReader(data))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" {
				continue
			}
			var cs, equiv, content string
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "charset":
					cs = string(v)
				case "http-equiv":
					equiv = string(v)
				case "content":
					content = string(v)
				}
			}
			if cs = strings.TrimSpace(cs); cs != "" {
				return cs
			}
			if strings.EqualFold(strings.TrimSpace(equiv), "content-type") {
				if _, params, err := mime.ParseMediaType(content); err == nil && params["charset"] != "" {
					return params["charset"]
				}
			}
		}
	}
}

// xmlDeclEncoding matches the encoding an XML declaration names.
var xmlDeclEncoding = regexp.MustCompile(`^(\s*<\?xml\s[^>]*?\bencoding\s*=\s*["'])[^"']*(["'])`)

// decodeXML returns an XML document (a feed) as UTF-8 when a byte order
// mark or the server's charset says it is in another encoding; the
// server's charset wins over the XML declaration's (RFC 7303). Once the
// text is read by either, decoded or found to be UTF-8 already, its
// declaration is made to say UTF-8, so that the parser does not decode
// it (again) by the encoding it named. Without either, with a charset
// unknown here, or with a charset of UTF-8 that the text is not (a server
// that labels everything so), the parser follows the declaration.
func decodeXML(data []byte, declared string) []byte {
	if bomEncoding(data) == nil {
		if enc, _ := charset.Lookup(strings.TrimSpace(declared)); enc == nil {
			return data
		}
	}
	out := decodeText(data, declared, false)
	if !utf8.Valid(out) {
		return data
	}
	return xmlDeclEncoding.ReplaceAll(out, []byte("${1}UTF-8${2}"))
}
