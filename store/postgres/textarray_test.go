package postgres

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// The direct encoder writes the bytes pgx's own array encoder writes for
// the same strings, and the server reads them back unchanged.
func TestTextArrayEncoding(t *testing.T) {
	cases := [][]string{
		{},
		{"leav"},
		{"parent", "leav", "parent_leav"},
		{"ünïcödé", "café", strings.Repeat("x", 70000), ""},
	}
	m := pgtype.NewMap()
	for _, terms := range cases {
		want, err := m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, terms, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := textArrayBinary{}.Encode(textArray(terms), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d terms: encoded\n%x\nwant\n%x", len(terms), got[:min(len(got), 64)], want[:min(len(want), 64)])
		}
	}

	s := openTest(t, Options{})
	ctx := t.Context()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, terms := range cases {
		var back []string
		if err := conn.QueryRow(ctx, "SELECT $1::text[]", textArray(terms)).Scan(&back); err != nil {
			t.Fatalf("%d terms: %v", len(terms), err)
		}
		if !slices.Equal(back, terms) {
			t.Errorf("%d terms came back as %d", len(terms), len(back))
		}
	}
	// Text PostgreSQL cannot store is refused by the server, not stored.
	var back []string
	if err := conn.QueryRow(ctx, "SELECT $1::text[]", textArray{"ok", "bad\x00nul"}).Scan(&back); err == nil {
		t.Errorf("a NUL byte in a term was accepted: %q", back)
	}
}

// BenchmarkTextArrayEncode encodes a chunk's worth of terms as COPY does,
// through pgx's array encoder and directly.
func BenchmarkTextArrayEncode(b *testing.B) {
	terms := strings.Fields(strings.Repeat("parent leav annual holiday employe request polici parent_leav annual_holiday ", 19))
	m := pgtype.NewMap()
	m.RegisterType(&pgtype.Type{Name: "_text", OID: pgtype.TextArrayOID, Codec: textArrayCodec{mustType(b, m).Codec}})
	var buf []byte
	for _, v := range []struct {
		name  string
		value any
	}{{"pgx", terms}, {"direct", textArray(terms)}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				var err error
				if buf, err = m.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, v.value, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustType(b *testing.B, m *pgtype.Map) *pgtype.Type {
	t, ok := m.TypeForOID(pgtype.TextArrayOID)
	if !ok {
		b.Fatal("no text[] type")
	}
	return t
}
