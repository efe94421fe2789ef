package store_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lorehq/lore/store"
)

func TestReadMigrations(t *testing.T) {
	files := func(names ...string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, n := range names {
			fsys["m/"+n] = &fstest.MapFile{Data: []byte("-- " + n)}
		}
		return fsys
	}
	// Unpadded numbers, so that the order of names (10 before 2) is not
	// the order of versions.
	var names []string
	for v := 1; v <= 10; v++ {
		names = append(names, fmt.Sprintf("%d_step.sql", v))
	}
	ms, err := store.ReadMigrations(files(names...), "m")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 || m.Name != names[i] || m.SQL != "-- "+names[i] {
			t.Errorf("migration %d = %+v, want version %d from %s", i, m, i+1, names[i])
		}
	}
	if ms.Latest() != 10 {
		t.Errorf("latest version = %d, want 10", ms.Latest())
	}

	for name, c := range map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"no version":     {files("0001_a.sql", "init.sql"), "name must start with a positive version"},
		"version 0":      {files("0000_a.sql"), "name must start with a positive version"},
		"shared version": {files("0001_a.sql", "01_b.sql"), "share version 1"},
		"gap":            {files("0001_a.sql", "0003_c.sql"), "versions must run 1, 2, 3"},
		"none":           {fstest.MapFS{"m": &fstest.MapFile{Mode: fs.ModeDir}}, "no migrations in m"},
		"no directory":   {fstest.MapFS{}, "read migrations"},
	} {
		if _, err := store.ReadMigrations(c.fsys, "m"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}
