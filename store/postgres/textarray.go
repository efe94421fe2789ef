package postgres

import (
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// textArray is a []string that COPY sends in PostgreSQL's binary array
// format directly. pgx's general array encoder, through reflection and a
// plan per element, takes about 6 µs and 173 allocations for a chunk's
// 170 terms, this one 0.6 µs and none (BenchmarkTextArrayEncode).
type textArray []string

// textArrayCodec is pgx's codec for text[] with a direct encoder for
// textArray; every other value, and all decoding, goes to pgx's own.
type textArrayCodec struct{ pgtype.Codec }

func (c textArrayCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(textArray); ok && format == pgtype.BinaryFormatCode {
		return textArrayBinary{}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type textArrayBinary struct{}

// Encode writes the array's header (dimensions, a no-nulls flag, the
// element type and the one dimension's length and lower bound, also when
// it is 0, as pgx writes it), then each element's length and bytes.
// PostgreSQL checks that each is valid text.
func (textArrayBinary) Encode(value any, buf []byte) ([]byte, error) {
	a := value.(textArray)
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = binary.BigEndian.AppendUint32(buf, pgtype.TextOID)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a)))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for _, s := range a {
		if len(s) > 1<<30 {
			return nil, fmt.Errorf("text array element of %d bytes", len(s))
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		buf = append(buf, s...)
	}
	return buf, nil
}

// registerTextArray puts textArrayCodec in front of the connection's
// codec for text[].
func registerTextArray(conn *pgx.Conn) error {
	m := conn.TypeMap()
	t, ok := m.TypeForOID(pgtype.TextArrayOID)
	if !ok {
		return fmt.Errorf("pgx knows no text[] type")
	}
	m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: textArrayCodec{t.Codec}})
	return nil
}
