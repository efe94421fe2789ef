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

	for _, terms := range cases {
		enc, _ := textArrayBinary{}.Encode(textArray(terms), nil)
		var back textArray
		if err := (textArrayBinaryScan{}).Scan(enc, &back); err != nil || !slices.Equal(back, terms) {
			t.Errorf("%d terms decoded as %d (%v)", len(terms), len(back), err)
		}
	}
	// Values terms never are, and damaged ones, are refused, not misread.
	nullElement, _ := pgtype.NewMap().Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, []*string{nil}, nil)
	twoDims, _ := pgtype.NewMap().Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, [][]string{{"a"}, {"b"}}, nil)
	whole, _ := textArrayBinary{}.Encode(textArray{"parent", "leav"}, nil)
	for name, src := range map[string][]byte{
		"a NULL element": nullElement, "two dimensions": twoDims,
		"cut in a length": whole[:len(whole)-6], "cut in an element": whole[:len(whole)-2], "a short header": whole[:8],
	} {
		var back textArray
		if err := (textArrayBinaryScan{}).Scan(src, &back); err == nil {
			t.Errorf("%s: read as %q", name, back)
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
		var direct textArray
		if err := conn.QueryRow(ctx, "SELECT $1::text[], $1::text[]", textArray(terms)).Scan(&back, &direct); err != nil {
			t.Fatalf("%d terms: %v", len(terms), err)
		}
		if !slices.Equal(back, terms) || !slices.Equal(direct, terms) {
			t.Errorf("%d terms came back as %d through pgx, %d directly", len(terms), len(back), len(direct))
		}
	}
	// An array of many dimensions still reads through pgx's codec.
	var grid [][]string
	if err := conn.QueryRow(ctx, "SELECT ARRAY[['a','b'],['c','d']]::text[]").Scan(&grid); err != nil || len(grid) != 2 {
		t.Errorf("a two-dimensional array: %q, %v", grid, err)
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

// BenchmarkTextArrayDecode reads a chunk's worth of terms as a replica
// loading its lexical index does, through pgx's array decoder and
// directly.
func BenchmarkTextArrayDecode(b *testing.B) {
	terms := strings.Fields(strings.Repeat("parent leav annual holiday employe request polici parent_leav annual_holiday ", 19))
	m := pgtype.NewMap()
	m.RegisterType(&pgtype.Type{Name: "_text", OID: pgtype.TextArrayOID, Codec: textArrayCodec{mustType(b, m).Codec}})
	src, err := textArrayBinary{}.Encode(textArray(terms), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pgx", func(b *testing.B) {
		for b.Loop() {
			var out []string
			if err := m.Scan(pgtype.TextArrayOID, pgtype.BinaryFormatCode, src, &out); err != nil || len(out) != len(terms) {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			var out textArray
			if err := m.Scan(pgtype.TextArrayOID, pgtype.BinaryFormatCode, src, &out); err != nil || len(out) != len(terms) {
				b.Fatal(err)
			}
		}
	})
}
